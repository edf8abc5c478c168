export { defaultConfig, type NodeConfig, readConfig, resolveHome, writeConfig } from './config.ts'
export {
  ControlError,
  type ControlMethod,
  ControlServer,
  callNode,
  socketPath,
  subscribeNode,
} from './control.ts'
export {
  type AcceptPolicy,
  type DashboardModelInput,
  dashboardModel,
  type NodeActivity,
} from './dashboard-model.ts'
export type { FarmEvent, FarmEventType, LogLevel } from './events.ts'
export {
  formatEvent,
  isLogFormat,
  LOG_FORMATS,
  type LogFormat,
  paneLine,
  parseHumanLine,
} from './log-format.ts'
export { FarmNode, type FarmNodeOptions, type LedgerSummary, type NodeEvent } from './node.ts'
