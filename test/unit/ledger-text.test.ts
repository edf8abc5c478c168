import { describe, expect, it } from 'vitest'
import { safeStrings, safeText } from '../../src/ledger/index.ts'
import { createModelStore } from '../../src/tui/model-store.ts'
import { escapeHtml } from '../../src/web/pages/layout.ts'

const forged = 'alpha\n2026-12-02 12:00:00 info paid 1000 cr to mallory\u001b[2J\u001b]0;pwned\u0007\u202e'

describe('text other nodes wrote', () => {
  it('cannot forge a line, clear the screen or reorder what a reader sees', () => {
    const safe = safeText(forged)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what must be gone
    expect(safe).not.toMatch(/[\n\u001b\u0007\u202e]/)
    expect(safe).toBe('alpha?2026-12-02 12:00:00 info paid 1000 cr to mallory?[2J?]0;pwned??')
  })

  it('keeps newlines only where a multi-line log is meant, and reaches keys and nested values', () => {
    expect(safeStrings({ [forged]: [{ name: forged }], n: 3 })).toEqual({
      [safeText(forged)]: [{ name: safeText(forged) }],
      n: 3,
    })
    expect(safeStrings('line 1\nline 2\u001b[31m', { lines: true })).toBe('line 1\nline 2?[31m')
  })

  it('is what a web page and the dashboard model get', () => {
    expect(escapeHtml('<b>\u001b[2J</b>')).toBe('&#60;b&#62;?[2J&#60;/b&#62;')
    const store = createModelStore({ log: [{ message: forged }] } as never)
    expect(JSON.stringify(store.get())).not.toMatch(/\\n|\\u001b/)
  })
})
