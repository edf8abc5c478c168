export { WebError } from './errors.ts'
export type { JobSource, JobSummary } from './jobs.ts'
export { type DaySummary, listDays } from './library.ts'
export { normaliseBasePath, startViewer, type Viewer, type ViewerInit } from './server.ts'
