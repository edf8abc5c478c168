export { defaultConfig, type NodeConfig, readConfig, resolveHome, writeConfig } from './config.ts'
export {
  ControlError,
  type ControlMethod,
  ControlServer,
  callNode,
  socketPath,
  subscribeNode,
} from './control.ts'
export { FarmNode, type FarmNodeOptions, type LedgerSummary, type NodeEvent } from './node.ts'
