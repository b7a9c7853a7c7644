// The live page's intermediate checks: each instrument card shows the last result of every check
// of the instrument (verdict, score against its limit, when) and the check's control-chart state
// (collecting its limits, in control, or the rules that tripped; the CUSUM sums). From
// /api/checks, polled: a check result is an event, not a reading, so the reading stream does not
// carry it. page.js builds the cards; this file only adds a block to them.
'use strict';

const CHECKS_POLL_MS = 5000;

/** The latest /api/checks answer, drawn again whenever page.js rebuilds the cards. */
let checkSummaries = [];

function checkEl(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A number short enough to read, exact enough to compare with its limit. */
function short(v) {
  return String(Number(v.toPrecision(3)));
}

/** What the verdict was judged by: En, the error E against the MPE, or the difference of two channels. */
function scoreText(last) {
  const within = last.score <= last.limit ? '≤' : '>';
  if (last.rule === 'En') return `En ${short(last.score)} ${within} ${short(last.limit)}`;
  if (last.rule === 'MPE') return `E ${short(last.difference)}, |E| ${within} MPE ${short(last.limit)}`;
  return `|x1 − x2| ${short(last.score)} ${within} ${short(last.limit)}`;
}

/** The chart's state: the run rules and CUSUM are about the chart; `fail` is the verdict's. */
function chartText(summary) {
  const c = summary.chart;
  if (c.limitsFrom === null) return { state: 'collecting', text: `chart: collecting its limits (${c.n} results)` };
  const rules = summary.last ? summary.last.tripped.filter((t) => t !== 'fail') : [];
  const cusum = `CUSUM C⁺ ${short(c.cusumHigh)} · C⁻ ${short(c.cusumLow)}`;
  if (rules.length > 0) return { state: 'tripped', text: `chart: rule tripped: ${rules.join(', ')} · ${cusum}` };
  return { state: 'in-control', text: `chart: in control · ${cusum}` };
}

function checkLine(summary) {
  const line = checkEl('li', 'check');
  line.dataset.check = summary.id;
  const last = summary.last;
  const verdict = last ? last.verdict : 'none';
  line.append(
    checkEl('span', 'check-id', `${summary.id} (${summary.channel})`),
    checkEl('span', `check-verdict verdict-${verdict}`, last ? verdict.toUpperCase() : 'no result yet'),
  );
  if (last) {
    line.append(checkEl('span', 'check-score', `#${last.n} ${scoreText(last)}`), checkEl('time', 'check-when', new Date(last.ts).toLocaleString()));
    line.querySelector('time').setAttribute('datetime', new Date(last.ts).toISOString());
  }
  const chart = chartText(summary);
  const state = checkEl('span', `check-chart chart-${chart.state}`, chart.text);
  state.dataset.state = chart.state;
  line.append(state);
  return line;
}

function renderChecks() {
  const byInstrument = new Map();
  for (const s of checkSummaries) {
    if (!byInstrument.has(s.instrument)) byInstrument.set(s.instrument, []);
    byInstrument.get(s.instrument).push(s);
  }
  for (const article of document.querySelectorAll('article[data-instrument]')) {
    const list = byInstrument.get(article.dataset.instrument);
    let block = article.querySelector('.checks');
    if (!list) {
      if (block) block.remove();
      continue;
    }
    if (!block) {
      block = checkEl('section', 'checks');
      block.setAttribute('aria-label', `Intermediate checks of ${article.dataset.instrument}`);
      article.append(block);
    }
    const ul = checkEl('ul');
    for (const s of list) ul.append(checkLine(s));
    block.replaceChildren(checkEl('h4', '', 'Intermediate checks'), ul);
  }
}

async function pollChecks() {
  try {
    const res = await fetch('/api/checks');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    checkSummaries = (await res.json()).checks;
    renderChecks();
  } catch {
    // page.js reports a gateway it cannot reach; the last checks stay on screen meanwhile.
  }
}

function startChecks() {
  // page.js replaces the cards on its first load (and when the instrument list changes).
  new MutationObserver(renderChecks).observe(document.getElementById('labs'), { childList: true });
  pollChecks();
  setInterval(pollChecks, CHECKS_POLL_MS);
}

startChecks();
