/** The viewer's one stylesheet: dark, so frames and videos stand out; grids that fit a phone. */
export const STYLE = `:root{color-scheme:dark;--bg:#111;--panel:#1c1c1c;--line:#333;--text:#eee;--dim:#999;--link:#9cf;--accent:#fc6}
body{font-family:system-ui,sans-serif;margin:0;background:var(--bg);color:var(--text)}
header{padding:.6rem 1rem;background:var(--panel);border-bottom:1px solid var(--line)}
header a{color:var(--link);margin-right:1.2rem;text-decoration:none}header a[aria-current]{color:var(--accent)}
main{padding:1rem;max-width:1200px;margin:0 auto}a{color:var(--link)}h1{font-size:1.4rem;margin:.2rem 0 .8rem}h2{font-size:1.1rem}
.notes,.keys{color:var(--dim);font-size:.9rem}.keys{font-size:.8rem}.error{color:#f88}.empty{color:var(--dim)}
.pager{display:flex;justify-content:space-between;align-items:center;margin:.4rem 0}
.calendar{display:grid;grid-template-columns:repeat(7,1fr);gap:.4rem}
.weekday{color:var(--dim);font-size:.8rem;text-align:center}
.cell{position:relative;aspect-ratio:4/3;background:var(--panel);border-radius:4px;overflow:hidden;display:block;color:var(--text);text-decoration:none}
.cell.pad{background:none}.cell.none{opacity:.45}
.cell img,.cell .nopicture{width:100%;height:100%;object-fit:cover;display:block}
.cell .date{position:absolute;top:.2rem;left:.3rem;font-weight:600;text-shadow:0 0 3px #000}
.cell .notes{position:absolute;bottom:0;left:0;right:0;padding:.1rem .3rem;background:#000a;color:#ddd;font-size:.7rem;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.cell.day:hover,.cell.day:focus{outline:2px solid var(--accent)}
.months{list-style:none;padding:0;margin-top:1.5rem}.months li{margin:.3rem 0}
.months .year{display:inline-block;width:3.5rem;font-weight:600}.months .month{display:inline-block;width:2.6rem}
.months .none{color:#555}.months a[aria-current]{color:var(--accent)}
.stage{position:relative;max-width:960px;background:#000}
video{max-width:100%;width:960px;background:#000;display:block}
.stage .still{position:absolute;inset:0;display:flex;align-items:center;justify-content:center;background:#000}
.stage .still[hidden]{display:none}.stage .still img{width:100%;height:100%;object-fit:contain}
.scrubber{display:flex;align-items:center;gap:.8rem;max-width:960px;margin:.5rem 0}
.scrubber input{flex:1}.scrubber output{font-variant-numeric:tabular-nums;min-width:5rem}
.frames{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:.4rem;margin-top:1rem}
.frame{text-decoration:none;border:2px solid transparent;border-radius:3px}.frame.current{border-color:var(--accent)}
.frame img{width:100%;display:block}.frame span{font-size:.8rem;color:var(--dim)}
.latest{margin:0}.latest img{max-width:100%;width:960px;display:block;background:#000}
#today{width:480px}
.latest figcaption{font-size:1.1rem;margin:.4rem 0;font-variant-numeric:tabular-nums}
form.same-time{display:flex;gap:1rem;flex-wrap:wrap;align-items:end;margin-bottom:1rem}
form.same-time label{display:flex;flex-direction:column;font-size:.9rem;color:var(--dim)}
table.jobs{border-collapse:collapse}table.jobs td,table.jobs th{padding:.3rem .6rem;border-bottom:1px solid var(--line);text-align:left}
table.jobs video{width:240px}
`

/** A sun over a horizon: the tab's icon, served by the viewer (a browser asks for one anyway). */
export const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#222"/><circle cx="16" cy="15" r="7" fill="#fc6"/><rect x="4" y="21" width="24" height="5" fill="#6a9"/></svg>
`
