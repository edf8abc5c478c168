/**
 * The viewer's one script, served as app.js (the Content-Security-Policy allows no inline
 * script). Pages work without it; it adds the day page's scrubber and keys, and the "now"
 * page's live updates. Every value it puts on a page goes through textContent or
 * encodeURIComponent, never innerHTML.
 */
export const CLIENT_SCRIPT = `'use strict';
(() => {
  const body = document.body;
  const editing = (el) =>
    el instanceof HTMLElement &&
    (el.isContentEditable || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA' ||
      (el.tagName === 'INPUT' && el.type !== 'range'));
  const follow = (rel) => {
    const a = document.querySelector('a[rel~="' + rel + '"]');
    if (a === null) return false;
    location.href = a.href;
    return true;
  };
  let pageKey = () => false;

  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || editing(e.target)) return;
    let done;
    if (e.key === 'PageUp' || (e.shiftKey && e.key === 'ArrowLeft')) done = follow('prev');
    else if (e.key === 'PageDown' || (e.shiftKey && e.key === 'ArrowRight')) done = follow('next');
    else done = pageKey(e);
    if (done) e.preventDefault();
  });

  if (body.dataset.page === 'day') {
    const frames = [...document.querySelectorAll('#frames .frame')];
    const scrub = document.getElementById('scrub');
    const label = document.getElementById('scrub-time');
    const video = document.getElementById('timelapse');
    const still = document.getElementById('still');
    const stillLink = document.getElementById('still-link');
    let current = -1;

    const show = (index, fromVideo) => {
      if (frames.length === 0) return;
      const i = Math.max(0, Math.min(frames.length - 1, index));
      if (current >= 0) frames[current].classList.remove('current');
      current = i;
      const frame = frames[i];
      frame.classList.add('current');
      scrub.value = String(i);
      label.textContent = frame.dataset.label;
      body.dataset.frame = frame.dataset.file;
      if (fromVideo) return;
      if (video !== null) video.pause();
      still.src = frame.href;
      still.alt = 'Frame at ' + frame.dataset.label;
      stillLink.href = frame.href;
      stillLink.hidden = false;
      history.replaceState(null, '', '#' + encodeURIComponent(frame.dataset.file));
    };

    if (scrub !== null) scrub.addEventListener('input', () => show(Number(scrub.value), false));
    document.getElementById('frames').addEventListener('click', (e) => {
      const frame = e.target instanceof Element ? e.target.closest('.frame') : null;
      if (frame === null || e.button !== 0 || e.shiftKey || e.ctrlKey || e.metaKey || e.altKey) return;
      e.preventDefault();
      show(Number(frame.dataset.index), false);
      document.getElementById('stage').scrollIntoView({ block: 'nearest' });
    });
    if (video !== null) {
      video.addEventListener('play', () => { stillLink.hidden = true; });
      video.addEventListener('timeupdate', () => {
        if (video.paused || !(video.duration > 0)) return;
        show(Math.floor((video.currentTime / video.duration) * frames.length), true);
      });
    }
    pageKey = (e) => {
      if (frames.length === 0) return false;
      if (e.key === 'ArrowLeft') show(current < 0 ? 0 : current - 1, false);
      else if (e.key === 'ArrowRight') show(current + 1, false);
      else if (e.key === 'Home') show(0, false);
      else if (e.key === 'End') show(frames.length - 1, false);
      else if (e.key === ' ' && video !== null && e.target.tagName !== 'VIDEO') {
        if (video.paused) void video.play(); else video.pause();
      } else return false;
      return true;
    };
    const wanted = decodeURIComponent(location.hash.slice(1));
    const at = frames.findIndex((f) => f.dataset.file === wanted);
    if (at >= 0) show(at, false);
  }

  if (body.dataset.page === 'now') {
    const status = document.getElementById('live-status');
    const img = document.getElementById('latest');
    const caption = document.getElementById('latest-time');
    const video = document.getElementById('today');
    const path = (...parts) => parts.map(encodeURIComponent).join('/');
    const labelOf = (file) => {
      const m = /^(\\d{2})(\\d{2})(\\d{2})\\.jpg$/.exec(file);
      return m === null ? file : m[1] + ':' + m[2] + ':' + m[3];
    };
    const events = new EventSource(body.dataset.events);
    events.addEventListener('open', () => { status.textContent = 'Live: the next frame appears here as soon as it is saved.'; });
    events.addEventListener('error', () => { status.textContent = 'Reconnecting…'; });
    events.addEventListener('frame', (e) => {
      const latest = JSON.parse(e.data);
      if (img.dataset.day !== latest.day || img.dataset.file !== latest.file) {
        const next = new Image();
        next.addEventListener('load', () => {
          img.src = next.src;
          img.hidden = false;
          img.dataset.day = latest.day;
          img.dataset.file = latest.file;
          const text = latest.day + ' ' + labelOf(latest.file);
          caption.textContent = text;
          document.title = 'Now · ' + text;
          const a = document.getElementById('latest-link');
          if (a !== null) a.href = body.dataset.days + encodeURIComponent(latest.day);
        });
        next.src = body.dataset.files + path('frames', latest.day, latest.file);
      }
      if (latest.timelapseStamp && latest.timelapseStamp !== video.dataset.stamp && video.paused) {
        video.dataset.stamp = latest.timelapseStamp;
        video.src = body.dataset.files + path('timelapse', latest.day + '.mp4') + '?v=' + encodeURIComponent(latest.timelapseStamp);
        video.hidden = false;
      }
    });
  }
})();
`
