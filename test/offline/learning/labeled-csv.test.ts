import { describe, expect, it } from 'vitest';
import { RoutingDataError } from '../../../offline/learning/errors.js';
import { parseCsv, parseLabeledCsv } from '../../../offline/learning/labeled-csv.js';

describe('labeled routing CSV', () => {
  it('parses quoted multi-line prompts, True/False and scores; keeps other columns as meta', () => {
    const text = 'subject,prompt,weak,strong\nalgebra,"Line one, with comma\nLine ""two""",True,0.25\nbio,plain,False,1\n';
    const d = parseLabeledCsv(text, 'x.csv');
    expect(d.models).toEqual(['weak', 'strong']);
    expect(d.rows[0]).toEqual({ prompt: 'Line one, with comma\nLine "two"', scores: { weak: 1, strong: 0.25 }, meta: { subject: 'algebra' } });
    expect(d.rows[1]!.scores).toEqual({ weak: 0, strong: 1 });
    expect(parseCsv('a,b\r\n1,2\r\n')).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('bad inputs are RoutingDataError with one-line messages', () => {
    expect(() => parseLabeledCsv('text,weak,strong\nhi,True,False\n', 'x.csv')).toThrow(/no "prompt" column/);
    expect(() => parseLabeledCsv('prompt,weak,strong\nhi,True,False\n', 'x.csv', ['weak', 'gpt-5'])).toThrow(RoutingDataError);
    expect(() => parseLabeledCsv('prompt,weak,strong\nhi,True,False\n', 'x.csv', ['weak', 'gpt-5'])).toThrow(/unknown model column "gpt-5"/);
    expect(() => parseLabeledCsv('prompt,weak,strong\nhi,True,maybe\n', 'x.csv', ['weak', 'strong'])).toThrow(/"maybe" is not True\/False/);
    expect(() => parseLabeledCsv('prompt,weak\nhi,True\n', 'x.csv')).toThrow(/at least two model columns/);
  });
});
