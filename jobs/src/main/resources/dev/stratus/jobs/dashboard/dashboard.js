'use strict';
// Polls the search's state and draws it: one curve per experiment on one SVG chart, and the table.
// Every request goes to the server that served this page; each carries the header the server demands of scripts.

const SCRIPT_HEADER = { 'X-Stratus-Dashboard': '1' };
const POLL_MILLIS = 1000;
const SVG = 'http://www.w3.org/2000/svg';
const CHART = { width: 900, height: 380, left: 60, right: 20, top: 15, bottom: 40 };
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
  '#bcbd22', '#17becf'];
const STOPPABLE = new Set(['waiting', 'running']);

let latest = null;

function color(id) {
  return COLORS[id % COLORS.length];
}

function svg(name, attributes, parent) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) {
    element.setAttribute(key, value);
  }
  parent.appendChild(element);
  return element;
}

function fixed(value, digits) {
  return value === null || value === undefined ? '–' : Number(value).toFixed(digits);
}

function seconds(value) {
  return value < 60 ? value.toFixed(1) + ' s' : Math.floor(value / 60) + ' min ' + Math.round(value % 60) + ' s';
}

// The points of one experiment's curve as [x, loss], finite losses only.
function points(experiment, axis) {
  return experiment.curve
    .filter(point => point[2] !== null)
    .map(point => [axis === 'time' ? experiment.startedAt + point[0] : point[1], point[2]]);
}

// Ticks at round steps covering [low, high].
function ticks(low, high, count) {
  const span = high - low || 1;
  const step = Math.pow(10, Math.floor(Math.log10(span / count)));
  const nice = [1, 2, 5, 10].map(m => m * step).find(s => span / s <= count) || step * 10;
  const result = [];
  for (let t = Math.ceil(low / nice) * nice; t <= high + 1e-12; t += nice) {
    result.push(t);
  }
  return result;
}

function drawChart(search) {
  const axis = document.getElementById('x-axis').value;
  const chart = document.getElementById('chart');
  chart.replaceChildren();
  const curves = search.experiments
    .filter(e => e.startedAt !== null)
    .map(e => ({ experiment: e, points: points(e, axis) }));
  const all = curves.flatMap(c => c.points);
  if (all.length === 0) {
    svg('text', { x: CHART.left, y: CHART.height / 2 }, chart).textContent = 'no evaluation yet';
    return;
  }
  // The y range ends a little above the untrained models' loss, so one diverging curve does not flatten the others.
  const firsts = curves.filter(c => c.points.length > 0).map(c => c.points[0][1]);
  const yLow = Math.min(...all.map(p => p[1]));
  const yHigh = Math.max(yLow * 1.001, Math.min(Math.max(...all.map(p => p[1])), 1.2 * Math.max(...firsts)));
  const xLow = axis === 'time' ? 0 : Math.min(...all.map(p => p[0]));
  const xHigh = Math.max(xLow + 1e-9, ...all.map(p => p[0]));
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  const x = value => CHART.left + (value - xLow) / (xHigh - xLow) * plotWidth;
  const y = value => CHART.top + (1 - (Math.min(value, yHigh) - yLow) / (yHigh - yLow)) * plotHeight;

  for (const t of ticks(yLow, yHigh, 6)) {
    svg('line', { class: 'grid', x1: CHART.left, x2: CHART.width - CHART.right, y1: y(t), y2: y(t) }, chart);
    svg('text', { x: CHART.left - 6, y: y(t) + 4, 'text-anchor': 'end' }, chart).textContent = t.toPrecision(3);
  }
  for (const t of ticks(xLow, xHigh, 8)) {
    svg('line', { class: 'grid', x1: x(t), x2: x(t), y1: CHART.top, y2: CHART.height - CHART.bottom }, chart);
    svg('text', { x: x(t), y: CHART.height - CHART.bottom + 15, 'text-anchor': 'middle' }, chart).textContent =
      axis === 'time' ? t.toFixed(0) : Number(t).toLocaleString();
  }
  svg('line', { class: 'axis', x1: CHART.left, x2: CHART.left, y1: CHART.top, y2: CHART.height - CHART.bottom },
    chart);
  svg('line', { class: 'axis', x1: CHART.left, x2: CHART.width - CHART.right, y1: CHART.height - CHART.bottom,
    y2: CHART.height - CHART.bottom }, chart);
  svg('text', { x: CHART.left + plotWidth / 2, y: CHART.height - 5, 'text-anchor': 'middle' }, chart).textContent =
    axis === 'time' ? 'seconds since the search started' : 'updates';
  svg('text', { x: 12, y: CHART.top + plotHeight / 2, 'text-anchor': 'middle',
    transform: `rotate(-90 12 ${CHART.top + plotHeight / 2})` }, chart).textContent = 'validation loss';

  for (const { experiment, points: line } of curves) {
    const ended = !STOPPABLE.has(experiment.state) && experiment.state !== 'stopping';
    const polyline = svg('polyline', {
      points: line.map(p => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' '),
      stroke: color(experiment.id),
      class: ended ? 'ended' : 'live',
      'data-experiment': experiment.id,
      'data-points': line.length,
    }, chart);
    svg('title', {}, polyline).textContent = `#${experiment.id} ${experiment.label}: ${experiment.state}`;
  }
  // A vertical line across the plot at x value {at}, titled; none outside the plot's range.
  const mark = (kind, at, stroke, attributes, title) => {
    if (at < xLow || at > xHigh) {
      return;
    }
    const line = svg('line', {
      class: kind, x1: x(at), x2: x(at), y1: CHART.top, y2: CHART.height - CHART.bottom, stroke, ...attributes,
    }, chart);
    svg('title', {}, line).textContent = title;
  };
  for (const { experiment } of curves) {
    const start = axis === 'time' ? experiment.startedAt : 0;
    // A shard that died and came back: a dashed line where it happened, in the experiment's color.
    for (const restart of experiment.shardRestarts || []) {
      mark('restart', axis === 'time' ? start + restart.atSeconds : restart.updates, color(experiment.id),
        { 'data-experiment': experiment.id, 'data-shard': restart.shard },
        `#${experiment.id}: shard ${restart.shard} restarted from its snapshot `
        + `of ${restart.snapshotAgeSeconds.toFixed(1)} s before: ${restart.updatesLost.toLocaleString()} updates lost`);
    }
    // A decision on its worker or shard count or its workers' memory: a dotted line in its color where it was made,
    // its reason the title.
    for (const decision of experiment.scalings || []) {
      const unit = decision.resource === 'memory' ? ' MB' : '';
      const what = decision.from === decision.to ? `${decision.resource} settle at ${decision.to}${unit}`
        : `${decision.resource} ${decision.from} -> ${decision.to}${unit}`;
      mark('scaling', axis === 'time' ? start + decision.atSeconds : decision.updates, color(experiment.id),
        { 'data-experiment': experiment.id }, `#${experiment.id}: ${what}: ${decision.reason}`);
    }
  }
  // The search's decisions on how many experiments run at once, in black: on the time axis only.
  for (const decision of axis === 'time' ? search.experimentsAtOnce || [] : []) {
    const what = decision.from === decision.to ? `experiments at once settle at ${decision.to}`
      : `experiments at once ${decision.from} -> ${decision.to}`;
    mark('at-once', decision.atSeconds, '#222', {}, `${what}: ${decision.reason}`);
  }
}

// The table's rows, by experiment id: made once and updated in place, so a button under the pointer stays the same
// element from one poll to the next and a click on it is never lost.
const rows = new Map();
const COLUMNS = ['swatch', 'id', 'parameters', 'state', 'current-loss', 'best-loss', 'updates', 'updates-per-second',
  'workers', 'elapsed', 'cost', 'actions'];

function makeRow(e) {
  const row = document.createElement('tr');
  row.dataset.experiment = e.id;
  const cells = {};
  for (const column of COLUMNS) {
    cells[column] = document.createElement('td');
    cells[column].className = column;
    row.appendChild(cells[column]);
  }
  const swatch = svg('svg', { width: 14, height: 8, 'aria-hidden': 'true' }, cells.swatch);
  svg('rect', { width: 14, height: 8, fill: color(e.id) }, swatch);
  cells.id.textContent = e.id;
  cells.parameters.textContent = e.label;
  const stop = document.createElement('button');
  stop.type = 'button';
  stop.textContent = 'Stop';
  stop.className = 'stop';
  stop.dataset.stop = e.id;
  stop.addEventListener('click', () => post(`/api/experiments/${e.id}/stop`));
  cells.actions.appendChild(stop);
  document.querySelector('#experiments tbody').appendChild(row);
  return { row, cells, stop };
}

function drawTable(search) {
  for (const e of search.experiments) {
    if (!rows.has(e.id)) {
      rows.set(e.id, makeRow(e));
    }
    const { row, cells, stop } = rows.get(e.id);
    row.className = e.state;
    const restarts = (e.shardRestarts || []).length;
    cells.state.textContent = (e.error ? `${e.state}: ${e.error}` : e.state)
      + (restarts === 0 ? '' : ` (${restarts} shard restart${restarts === 1 ? '' : 's'})`);
    cells['current-loss'].textContent = fixed(e.currentLoss, 5);
    cells['best-loss'].textContent = fixed(e.bestLoss, 5);
    cells.updates.textContent = Number(e.updates).toLocaleString();
    cells['updates-per-second'].textContent = Math.round(e.updatesPerSecond).toLocaleString();
    cells.workers.textContent = e.workers;
    cells.elapsed.textContent = seconds(e.elapsedSeconds);
    cells.cost.textContent = (e.costEstimated ? '≈ ' : '') + Number(e.cost).toFixed(6);
    stop.disabled = !STOPPABLE.has(e.state);
  }
}

function showStatus(text, error) {
  const status = document.getElementById('status');
  status.textContent = text;
  status.className = error ? 'error' : '';
}

function draw(search) {
  latest = search;
  const counts = {};
  for (const e of search.experiments) {
    counts[e.state] = (counts[e.state] || 0) + 1;
  }
  const summary = Object.entries(counts).map(([state, n]) => `${n} ${state}`).join(', ');
  showStatus(`${search.finished ? 'finished' : 'running'} for ${seconds(search.elapsedSeconds)}: ${summary}`, false);
  document.getElementById('stop-all').disabled = search.finished;
  drawChart(search);
  drawTable(search);
}

async function post(path) {
  const response = await fetch(path, { method: 'POST', headers: SCRIPT_HEADER, credentials: 'same-origin' });
  if (!response.ok) {
    showStatus(`stopping failed: ${response.status} ${await response.text()}`, true);
  }
  await poll();
}

async function poll() {
  try {
    const response = await fetch('/api/search', { headers: SCRIPT_HEADER, cache: 'no-store' });
    if (response.status === 401) {
      showStatus('not logged in: open the address with the login code the search printed', true);
      return;
    }
    draw(await response.json());
  } catch (e) {
    showStatus('the driver does not answer: the search has ended or its driver stopped', true);
  }
}

document.getElementById('stop-all').addEventListener('click', () => post('/api/stop-all'));
document.getElementById('x-axis').addEventListener('change', () => latest && drawChart(latest));
poll();
setInterval(poll, POLL_MILLIS);
