import { describe, expect, it } from 'vitest';
import { RoutingDataError } from '../../../offline/learning/errors.js';
import { completeRows, parseCostColumns, parseCsv, parseLabeledCsv, parseScale } from '../../../offline/learning/labeled-csv.js';
import { unwrapListLiteral } from '../../../offline/learning/list-literal.js';

describe('labeled routing CSV', () => {
  it('parses quoted multi-line prompts, True/False and scores; keeps other columns as meta', () => {
    const text = 'subject,prompt,weak,strong\nalgebra,"Line one, with comma\nLine ""two""",True,0.25\nbio,plain,False,1\n';
    const d = parseLabeledCsv(text, 'x.csv');
    expect(d.models).toEqual(['weak', 'strong']);
    expect(d.rows[0]).toEqual({ prompt: 'Line one, with comma\nLine "two"', scores: { weak: 1, strong: 0.25 }, turns: 1, meta: { subject: 'algebra' } });
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

  it('N models, cost columns by convention (never taken for models), empty cells skipped and counted', () => {
    const text = [
      ',sample_id,prompt,a,b,c,a|total_cost,b|total_cost,c|total_cost,a|model_response,oracle_model_to_route_to',
      "0,s1,\"['Hi there']\",1.0,0.0,1.0,0.0001,0.0002,0.003,hello,a",
      '1,s2,plain,0.0,,1.0,0.0001,0.0002,0.003,x,c',
    ].join('\n');
    const d = parseLabeledCsv(text, 'rb.csv');
    expect(d.models).toEqual(['a', 'b', 'c']);
    expect(d.costColumns).toEqual({ a: 'a|total_cost', b: 'b|total_cost', c: 'c|total_cost' });
    expect(d.emptyCells).toBe(1);
    expect(d.rows[0]).toMatchObject({ prompt: 'Hi there', turns: 1, scores: { a: 1, b: 0, c: 1 }, costs: { a: 100, b: 200, c: 3000 } });
    expect(d.rows[1]!.scores).toEqual({ a: 0, c: 1 });
    expect(completeRows(d)).toMatchObject({ dropped: 1 });
    expect(Object.keys(d.rows[0]!.meta)).toEqual(['', 'sample_id', 'a|model_response', 'oracle_model_to_route_to']);
  });

  it('explicit cost columns, graded scales, JSONL', () => {
    const csv = 'prompt,m1,m2,price1,price2\nq,7,10,0.5,1.5\nr,1,4,0.5,1.5\n';
    const d = parseLabeledCsv(csv, 'g.csv', { scale: parseScale('1-10'), costColumns: parseCostColumns(['m1=price1', 'm2=price2']) });
    expect(d.models).toEqual(['m1', 'm2']);
    expect(d.rows[0]!.scores).toEqual({ m1: 6 / 9, m2: 1 });
    expect(d.rows[1]!.scores).toEqual({ m1: 0, m2: 1 / 3 });
    expect(d.rows[0]!.costs).toEqual({ m1: 500000, m2: 1500000 });
    expect(() => parseLabeledCsv('prompt,m1,m2\nq,11,3\n', 'g.csv', { models: ['m1', 'm2'], scale: { min: 1, max: 10 } })).toThrow(/"11" is not True\/False or a score in \[1, 10\]/);
    expect(() => parseScale('10-1')).toThrow(/MIN < MAX/);
    expect(() => parseLabeledCsv(csv, 'g.csv', { scale: { min: 1, max: 10 }, costColumns: { m3: 'price1' } })).toThrow(/not a model column/);
    const jsonl = '{"prompt":[{"role":"user","content":"first"},{"role":"user","content":"second"}],"x":true,"y":0.5}\n{"prompt":"p","x":false,"y":null}\n';
    const j = parseLabeledCsv(jsonl, 'd.jsonl');
    expect(j.rows[0]).toMatchObject({ prompt: 'first\n\nsecond', turns: 2, scores: { x: 1, y: 0.5 } });
    expect(j.rows[1]!.scores).toEqual({ x: 0 });
    expect(j.emptyCells).toBe(1);
  });

  it('list literals: Python and JSON quoting, escapes; anything else stays a plain prompt', () => {
    expect(unwrapListLiteral("['a\\nb', \"it's\"]")).toEqual(['a\nb', "it's"]);
    expect(unwrapListLiteral('["x \\u00e9"]')).toEqual(['x é']);
    expect(unwrapListLiteral('[1, 2]')).toBeUndefined();
    expect(unwrapListLiteral("['unterminated]")).toBeUndefined();
    expect(unwrapListLiteral('[see above] and more')).toBeUndefined();
  });
});
