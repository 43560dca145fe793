import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, expectOneLineError } from './capture-io.js';
import { trainedPolicy, TRAIN } from './routing-fixtures.js';

describe('tollgate train', () => {
  it('writes a versioned artefact; the same seed gives the same version', async () => {
    const a = await trainedPolicy('tollgate-train-a-');
    const b = await trainedPolicy('tollgate-train-b-');
    const ma = JSON.parse(readFileSync(join(a.artifact, 'manifest.json'), 'utf8'));
    const mb = JSON.parse(readFileSync(join(b.artifact, 'manifest.json'), 'utf8'));
    expect(ma.version).toMatch(/^[0-9a-f]{16}$/);
    expect(ma.version).toBe(mb.version);
    expect(ma).toMatchObject({ format: 'tollgate-classifier@1', method: 'logreg', models: ['mistralai/Mixtral-8x7B-Instruct-v0.1', 'gpt-4-1106-preview'], embedder: { dimension: 256 } });
    expect(ma.metrics.validation.logreg.apgr).toBeTypeOf('number');
    expect(Object.keys(ma.files).sort()).toEqual(['calibration.json', 'head.onnx']);
    expect(ma.calibration).toEqual({ folds: 5, by: 'subject' });
  }, 180_000);

  it('bad inputs: one-line errors', async () => {
    expectOneLineError(await cli('train', '--data', 'nope.csv', '--out', '/tmp/x'), /routing_data_invalid.*file not found/);
    expectOneLineError(await cli('train', '--data', TRAIN, '--out', '/tmp/x', '--method', 'svm'), /--method must be knn, logreg or both/);
    expectOneLineError(await cli('train', '--data', TRAIN, '--out', '/tmp/x', '--models', 'a,b'), /unknown model column "a"/);
  });
});
