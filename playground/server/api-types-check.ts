/**
 * Compile-time check (no runtime code) that what the server builds fits the API contract the browser
 * client reads (api-types.ts): the root `tsc -p tsconfig.json` fails when a view drifts from it.
 */
import type * as Api from './api-types.js';
import type { DryRun } from '../../index.js';
import type { CompareRow } from './views/compare.js';
import type { DaySpend } from './views/daily.js';
import type { ExecutiveView } from './views/executive.js';
import type { OnCallView } from './views/oncall.js';
import type { TenantRow } from './views/tenants.js';
import type { LogViews } from './log-views.js';
import type { PolicyViews, SimulationResult } from './simulation.js';
import type { ExamplePolicy } from './policy-input.js';
import type { BatchTradeoff, PolicySimulation, TimelinePoint } from '../../offline/simulation/index.js';

/** Compiles only when `Server` is assignable to `Contract`. */
type Fits<Server extends Contract, Contract> = [Server, Contract];

export type ApiTypesFit = [
  Fits<DaySpend, Api.DaySpend>,
  Fits<ExecutiveView, Api.ExecutiveView>,
  Fits<OnCallView, Api.OnCallView>,
  Fits<TenantRow, Api.TenantRow>,
  Fits<CompareRow, Api.CompareRow>,
  Fits<PolicyViews, Api.PolicyViews>,
  Fits<SimulationResult, Api.SimulationResult>,
  Fits<Omit<LogViews, 'byId'> & { loaded: true }, Api.LogViews>, // GET /api/log (the Map stays on the server)
  Fits<ExamplePolicy, Api.ExamplePolicy>,
  Fits<PolicySimulation, Api.PolicySimulation>,
  Fits<TimelinePoint, Api.TimelinePoint>,
  Fits<BatchTradeoff, Api.BatchTradeoff>,
  Fits<DryRun, Api.DryRun>, // POST /api/explain's dryRun
];
