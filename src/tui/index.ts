export { App, type AppProps } from './App.tsx'
export { Dashboard, type DashboardProps } from './Dashboard.tsx'
export type {
  DashboardActions,
  DashboardModel,
  FrameError,
  FrameState,
  HeaderModel,
  JobDetail,
  JobRow,
  JobState,
  LogLine,
  ModelSource,
  WorkerActivity,
  WorkerRow,
} from './model.ts'
export { createModelStore, type ModelStore } from './model-store.ts'
export { type DashboardHandle, type MountOptions, mountDashboard } from './mount.tsx'
export { useThrottled } from './use-throttled.ts'
