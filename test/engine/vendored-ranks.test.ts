import cl100kReference from 'js-tiktoken/ranks/cl100k_base';
import o200kReference from 'js-tiktoken/ranks/o200k_base';
import { describe, expect, it } from 'vitest';
import cl100k from '../../engine/ranks/cl100k_base.json' with { type: 'json' };
import o200k from '../../engine/ranks/o200k_base.json' with { type: 'json' };

describe('vendored tiktoken rank files (engine/ranks)', () => {
  it('equal the js-tiktoken dev dependency they were copied from', () => {
    expect(cl100k).toEqual(cl100kReference);
    expect(o200k).toEqual(o200kReference);
  });
});
