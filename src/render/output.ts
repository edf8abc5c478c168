/** How many of a program's last lines a user sees when it fails. */
export const TAIL_LINES = 12

/** The last `count` non-empty lines of `text`, without lines matching `noise`. */
export function tailLines(text: string, count = TAIL_LINES, noise?: RegExp): string {
  const lines = text
    .split(/\r?\n|\r/)
    .map((line) => line.trimEnd())
    .filter((line) => line !== '' && !noise?.test(line))
  return lines.slice(-count).join('\n')
}

/** True when a program's output says it ran out of disk space. */
export function saysDiskFull(output: string): boolean {
  return /No space left on device|ENOSPC|disk full/i.test(output)
}
