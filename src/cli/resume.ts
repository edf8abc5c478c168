import { pauseCommand } from './pause.ts'

export const command = pauseCommand('resume')
