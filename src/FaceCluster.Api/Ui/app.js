// The runs page: every piece of data comes from the API with the bearer token kept in this tab's sessionStorage.
// Built with textContent only (never innerHTML), so nothing a run carries is ever parsed as markup.
'use strict';

(function () {
  const TOKEN_KEY = 'facecluster.api.token';
  const REFRESH_MS = 3000;
  const FINISHED = new Set(['completed', 'failed', 'cancelled']);

  const $ = (id) => document.getElementById(id);
  let timer = null;
  let reportUrl = null;

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  function showError(message) {
    const line = $('error');
    line.textContent = message;
    line.title = message;
    line.hidden = !message;
  }

  // One fetch of the API with the token; answers the parsed JSON (or the Response for raw bodies) or throws an
  // Error whose message is the one line shown on the page.
  async function api(method, path, raw) {
    let response;
    try {
      response = await fetch(path, {
        method: method,
        headers: { 'Authorization': 'Bearer ' + token(), 'Accept': raw ? 'text/html' : 'application/json' },
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      throw Object.assign(new Error('network error: the API cannot be reached (' + e.message + ')'), { network: true });
    }

    if (response.status === 401) {
      throw Object.assign(new Error('token refused: the API does not accept this token (401); enter another one'), { refused: true });
    }

    if (!response.ok) {
      let detail = '';
      try {
        const body = await response.json();
        detail = body && body.error ? ': ' + body.error : '';
      } catch (e) {
        detail = '';
      }

      const what = response.status === 503 ? 'the cluster is not available (503)' : 'the API answered ' + response.status;
      throw Object.assign(new Error(what + detail), { status: response.status });
    }

    return raw ? response : response.json();
  }

  function fail(error) {
    showError(error.message);
    if (error.refused) {
      // A refused token is dropped so that the form asks again; the error line stays.
      sessionStorage.removeItem(TOKEN_KEY);
      showForm();
    }
  }

  function showForm() {
    stopRefresh();
    closeReport();
    $('runs-section').hidden = true;
    $('forget').hidden = true;
    $('updated').textContent = '';
    $('runs').tBodies[0].replaceChildren();
    $('token-form').hidden = false;
    $('token').value = '';
    $('token').focus();
  }

  function showRuns() {
    $('token-form').hidden = true;
    $('forget').hidden = false;
    $('runs-section').hidden = false;
    refresh();
  }

  function stopRefresh() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  }

  async function refresh() {
    stopRefresh();
    if (!token()) {
      return;
    }

    try {
      const body = await api('GET', '/api/runs');
      render(body.runs || []);
      showError('');
      $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      fail(e);
    }

    if (token()) {
      timer = setTimeout(refresh, REFRESH_MS);
    }
  }

  function cell(row, text, className) {
    const td = document.createElement('td');
    if (className) {
      td.className = className;
    }

    if (text instanceof Node) {
      td.append(text);
    } else {
      td.textContent = text == null ? '' : String(text);
    }

    row.append(td);
    return td;
  }

  function stageLine(name, state, done, total, detail) {
    const line = document.createElement('div');
    line.className = 'stage';
    const label = document.createElement('span');
    label.textContent = name + (state ? ' (' + state + ')' : '');
    const bar = document.createElement('progress');
    bar.max = total > 0 ? total : 1;
    bar.value = total > 0 ? done : (state === 'done' ? 1 : 0);
    const count = document.createElement('span');
    count.className = 'count';
    count.textContent = (done || 0) + '/' + (total || 0) + (detail ? ' · ' + detail : '');
    line.append(label, bar, count);
    return line;
  }

  function render(runs) {
    runs.sort((a, b) => String(b.submitted_at || '').localeCompare(String(a.submitted_at || '')));
    const rows = runs.map((run) => {
      const row = document.createElement('tr');
      row.dataset.runId = run.run_id;
      row.dataset.state = run.state;
      cell(row, run.run_id, 'id');
      cell(row, run.kind);
      const state = document.createElement('span');
      state.className = 'state state-' + run.state;
      state.textContent = run.state;
      cell(row, state).title = run.error || '';
      cell(row, run.submitter || '—');
      cell(row, run.submitted_at ? new Date(run.submitted_at).toLocaleString() : '');
      const current = document.createElement('div');
      current.textContent = run.stage || '';
      if (run.detail) {
        const detail = document.createElement('div');
        detail.className = 'detail';
        detail.textContent = run.detail;
        current.append(detail);
      }

      if (run.error) {
        const error = document.createElement('div');
        error.className = 'detail';
        error.textContent = run.error;
        current.append(error);
      }

      cell(row, current, 'current');
      const stages = document.createElement('div');
      const list = run.stages && run.stages.length ? run.stages : (run.stage ? [{ name: run.stage, completed_units: run.completed_units, total_units: run.total_units }] : []);
      for (const stage of list) {
        stages.append(stageLine(stage.name, stage.state, stage.completed_units, stage.total_units, stage.detail));
      }

      cell(row, stages, 'stages');
      const actions = cell(row, '', 'actions');
      if (run.state === 'completed' && run.report) {
        actions.append(button('Report', 'report', () => openReport(run.run_id)));
      } else if (!FINISHED.has(run.state) && run.state !== 'unresponsive') {
        actions.append(button('Cancel', 'cancel', () => cancel(run.run_id)));
      }

      return row;
    });
    $('runs').tBodies[0].replaceChildren(...rows);
    $('no-runs').hidden = runs.length > 0;
  }

  function button(text, className, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = className;
    b.textContent = text;
    b.addEventListener('click', onClick);
    return b;
  }

  async function cancel(id) {
    if (!window.confirm('Cancel run ' + id + '? Its unfinished work is stopped.')) {
      return;
    }

    try {
      await api('DELETE', '/api/runs/' + encodeURIComponent(id));
      showError('');
    } catch (e) {
      fail(e);
    }

    refresh();
  }

  // A link cannot carry the bearer header: the report is fetched, then shown from a blob: URL in a sandboxed frame
  // (no scripts, no origin), and it embeds its figures, so it needs no further request.
  async function openReport(id) {
    try {
      const response = await api('GET', '/api/runs/' + encodeURIComponent(id) + '/report', true);
      const blob = new Blob([await response.arrayBuffer()], { type: 'text/html' });
      closeReport();
      reportUrl = URL.createObjectURL(blob);
      $('report-title').textContent = 'Report of ' + id;
      $('report-open').href = reportUrl;
      $('report-frame').src = reportUrl;
      $('report').hidden = false;
      showError('');
    } catch (e) {
      fail(e);
    }
  }

  function closeReport() {
    $('report').hidden = true;
    $('report-frame').removeAttribute('src');
    $('report-open').removeAttribute('href');
    if (reportUrl) {
      URL.revokeObjectURL(reportUrl);
      reportUrl = null;
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const value = $('token').value.trim();
      if (!value) {
        return;
      }

      sessionStorage.setItem(TOKEN_KEY, value);
      $('token').value = '';
      showError('');
      showRuns();
    });
    $('forget').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      showError('');
      showForm();
    });
    $('report-close').addEventListener('click', closeReport);
    if (token()) {
      showRuns();
    } else {
      showForm();
    }
  });
})();
