/**
 * `--on-event "CMD ARGS..."` as an argv, without a shell: words split on blanks, '...' taken
 * literally, "..." and \ as a POSIX shell reads them, and nothing expanded ($, *, ~, `...`), so
 * an event's content can never become shell syntax. Undefined for an unclosed quote or no words.
 */
export function splitCommand(text: string): string[] | undefined {
  const words: string[] = []
  let word = ''
  let inWord = false
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === "'") {
      const end = text.indexOf("'", i + 1)
      if (end < 0) return undefined
      word += text.slice(i + 1, end)
      inWord = true
      i = end + 1
    } else if (c === '"') {
      i++
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) i++
        word += text[i]
        i++
      }
      if (i >= text.length) return undefined
      inWord = true
      i++
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[i + 1]
      inWord = true
      i += 2
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      i++
    } else {
      word += c
      inWord = true
      i++
    }
  }
  if (inWord) words.push(word)
  return words.length === 0 ? undefined : words
}
