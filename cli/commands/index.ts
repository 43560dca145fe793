import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { registerValidate } from './validate.js';
import { registerSimulate } from './simulate.js';
import { registerReport } from './report.js';
import { registerExplain } from './explain.js';
import { registerServe } from './serve.js';
import { registerKeys } from './keys.js';
import { registerChargeback } from './chargeback.js';
import { registerReconcile } from './reconcile.js';
import { registerPlayground } from './playground.js';
import { registerTrain } from './train.js';
import { registerTune } from './tune.js';
import { registerEval } from './eval.js';
import { registerEmbed } from './embed.js';
import { registerDb } from './db.js';

/** Every CLI command, registered in one place. Each command lives in its own file. */
export function registerCommands(program: Command, io: CliIo): void {
  registerValidate(program, io);
  registerSimulate(program, io);
  registerReport(program, io);
  registerExplain(program, io);
  registerServe(program, io);
  registerKeys(program, io);
  registerChargeback(program, io);
  registerReconcile(program, io);
  registerPlayground(program, io);
  registerTrain(program, io);
  registerTune(program, io);
  registerEval(program, io);
  registerEmbed(program, io);
  registerDb(program, io);
}
