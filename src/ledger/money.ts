const thousands = new Intl.NumberFormat('en-US')

/**
 * Milli-credits as people read credits, "1,234.500 cr": integers all the way (the ledger never
 * holds a float), so 0.1 + 0.2 never shows up, and every screen prints an amount the same way.
 */
export function formatCredits(milli: number): string {
  const sign = milli < 0 ? '-' : ''
  const abs = Math.abs(milli)
  return `${sign}${thousands.format(Math.floor(abs / 1000))}.${String(abs % 1000).padStart(3, '0')} cr`
}
