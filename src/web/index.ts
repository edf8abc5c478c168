export { WebError } from './errors.ts'
export type { JobSource, JobSummary } from './jobs.ts'
export type { SameTimeSource, SameTimeVideo } from './same-time.ts'
export { normaliseBasePath, startViewer, type Viewer, type ViewerInit } from './server.ts'
