import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import cl100kReference from 'js-tiktoken/ranks/cl100k_base';
import o200kReference from 'js-tiktoken/ranks/o200k_base';
import { describe, expect, it } from 'vitest';

const vendored = (name: string): unknown => JSON.parse(gunzipSync(readFileSync(new URL(`../../engine/ranks/${name}.json.gz`, import.meta.url))).toString('utf8'));

describe('vendored tiktoken rank files (engine/ranks/*.json.gz)', () => {
  it('equal the js-tiktoken dev dependency they were copied from', () => {
    expect(vendored('cl100k_base')).toEqual(cl100kReference);
    expect(vendored('o200k_base')).toEqual(o200kReference);
  });
});
