import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { isFresh, rangeStillValid } from '../../src/web/http.ts'

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage
const modified = new Date('2026-11-21T14:30:00.750Z')

describe('conditional requests', () => {
  it('answers 304 to a matching If-None-Match, weak or in a list, and not to another tag', () => {
    expect(isFresh(request({ 'if-none-match': '"abc"' }), '"abc"')).toBe(true)
    expect(isFresh(request({ 'if-none-match': 'W/"abc"' }), '"abc"')).toBe(true)
    expect(isFresh(request({ 'if-none-match': '"x", "abc"' }), '"abc"')).toBe(true)
    expect(isFresh(request({ 'if-none-match': '*' }), '"abc"')).toBe(true)
    expect(isFresh(request({ 'if-none-match': '"old"' }), '"abc"')).toBe(false)
  })
  it('compares If-Modified-Since in whole seconds, and lets If-None-Match decide when both come', () => {
    const at = modified.toUTCString()
    expect(isFresh(request({ 'if-modified-since': at }), '"abc"', modified)).toBe(true)
    expect(isFresh(request({ 'if-modified-since': 'Sat, 21 Nov 2026 14:29:59 GMT' }), '"a"', modified)).toBe(
      false,
    )
    expect(isFresh(request({ 'if-modified-since': 'yesterday' }), '"a"', modified)).toBe(false)
    expect(isFresh(request({ 'if-none-match': '"old"', 'if-modified-since': at }), '"abc"', modified)).toBe(
      false,
    )
    expect(isFresh(request({}), '"abc"', modified)).toBe(false)
  })
  it('honours a range only while If-Range names the current version', () => {
    expect(rangeStillValid(request({}), '"abc"', modified)).toBe(true)
    expect(rangeStillValid(request({ 'if-range': '"abc"' }), '"abc"', modified)).toBe(true)
    expect(rangeStillValid(request({ 'if-range': '"old"' }), '"abc"', modified)).toBe(false)
    expect(rangeStillValid(request({ 'if-range': modified.toUTCString() }), '"abc"', modified)).toBe(true)
  })
})
