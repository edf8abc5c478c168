/**
 * The frame every page shares. Every link is relative (`prefix` climbs back to the served
 * root), so the same HTML works at `/` and behind a reverse proxy under any base path. Every
 * value a page shows goes through escapeHtml, every path segment in a link through
 * encodeURIComponent first: file names and manifests come from disk, not from us.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(UNSAFE, '?')
}

/**
 * Control characters and bidirectional overrides, shown as `?`: ledger text.ts safeText's set,
 * kept here because the viewer loads no part that loads packages (capture-footprint.test.ts).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** An href or src below the served root, each segment percent-encoded, ready for an attribute. */
export function link(prefix: string, ...segments: string[]): string {
  return escapeHtml(prefix + segments.map(encodeURIComponent).join('/'))
}

/** A file below `files/`, given as a path like `thumbs/2026-11-21/143000.jpg`. */
export function fileLink(prefix: string, path: string): string {
  return link(prefix, 'files', ...path.split('/'))
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

export type PageName = 'calendar' | 'day' | 'now' | 'same-time' | 'jobs' | 'not-found'

export interface PageShell {
  title: string
  /** '' at the root, '../' one level down, and so on. */
  prefix: string
  /** Whether the header links to the render jobs (`farm serve --home`). */
  jobs: boolean
  page: PageName
  body: string
  /** data-* attributes of <body> for the viewer's script, values escaped here. */
  data?: Record<string, string>
}

const NAV: { page: PageName; path: string; label: string }[] = [
  { page: 'calendar', path: '', label: 'Calendar' },
  { page: 'now', path: 'now', label: 'Now' },
  { page: 'same-time', path: 'same-time', label: 'Same time every day' },
]

export function page(opts: PageShell): string {
  const nav = [...NAV, ...(opts.jobs ? [{ page: 'jobs' as const, path: 'jobs', label: 'Render jobs' }] : [])]
    .map((item) => {
      const href = item.path === '' ? (opts.prefix === '' ? './' : opts.prefix) : `${opts.prefix}${item.path}`
      const current = item.page === opts.page ? ' aria-current="page"' : ''
      return `<a href="${escapeHtml(href)}"${current}>${item.label}</a>`
    })
    .join('')
  const data = Object.entries(opts.data ?? {})
    .map(([key, value]) => ` data-${key}="${escapeHtml(value)}"`)
    .join('')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
<link rel="icon" href="${escapeHtml(opts.prefix)}favicon.svg">
<link rel="stylesheet" href="${escapeHtml(opts.prefix)}style.css">
<script src="${escapeHtml(opts.prefix)}app.js" defer></script>
</head>
<body data-page="${opts.page}"${data}>
<header><nav>${nav}</nav></header>
<main>
<h1>${escapeHtml(opts.title)}</h1>
${opts.body}
</main>
</body>
</html>
`
}

export function notFoundPage(prefix: string, jobs: boolean): string {
  return page({
    title: 'Not found',
    prefix,
    jobs,
    page: 'not-found',
    body: `<p>Nothing here. <a href="${escapeHtml(prefix === '' ? './' : prefix)}">Back to the calendar</a>.</p>`,
  })
}

export function errorPage(prefix: string, jobs: boolean, message: string): string {
  return page({
    title: 'Cannot show this',
    prefix,
    jobs,
    page: 'not-found',
    body: `<p class="error">${escapeHtml(message)}</p>`,
  })
}
