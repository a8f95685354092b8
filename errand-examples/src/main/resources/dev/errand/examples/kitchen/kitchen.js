// The kitchen page of reference system 004. Plain browser JavaScript, no libraries: the dialogs
// submit a task and close on the server's 202; the event stream (/api/events) reports how each
// task went, in a snackbar; the lists are reloaded from /api/tasks whenever something changes.
'use strict';

(function () {
  const MINE = 'kitchen.mine'; // ids of tasks submitted from this browser, not yet reported
  let catalog = null;
  let refreshing = null;
  let again = false;

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else e[k] = v;
    });
    children.forEach((c) => e.append(c));
    return e;
  }

  // ---------------------------------------------------------------- tasks submitted here

  function mine() {
    try {
      return JSON.parse(localStorage.getItem(MINE) || '[]');
    } catch (e) {
      return [];
    }
  }

  function remember(id) {
    const ids = mine().filter((x) => x !== id);
    ids.push(id);
    localStorage.setItem(MINE, JSON.stringify(ids.slice(-200)));
  }

  function forget(id) {
    localStorage.setItem(MINE, JSON.stringify(mine().filter((x) => x !== id)));
  }

  // ---------------------------------------------------------------- snackbar

  function snackbar(message, kind) {
    const close = el('button', { type: 'button', title: 'Dismiss', textContent: '✕' });
    const bar = el('div', { class: 'snackbar ' + kind, role: kind === 'error' ? 'alert' : 'status' },
      el('span', { textContent: message }), close);
    close.addEventListener('click', () => bar.remove());
    $('snackbars').append(bar);
    setTimeout(() => bar.remove(), kind === 'error' ? 15000 : 8000);
  }

  // ---------------------------------------------------------------- HTTP

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json().catch(() => null);
    if (!res.ok) {
      throw new Error((json && json.message) || res.status + ' ' + res.statusText);
    }
    return json;
  }

  // ---------------------------------------------------------------- lists

  function taskItem(t) {
    const li = el('li', { 'data-task-id': String(t.id) },
      el('span', { class: 'status ' + t.status, textContent: t.status }),
      el('strong', { textContent: t.description }));
    const when = t.completedAt || t.startedAt || t.createdAt;
    let meta = '#' + t.id + ' · ' + (t.createdBy || '') + ' · ' + (t.department || '') +
      ' · attempt ' + t.attempts + '/' + t.maxAttempts + ' · ' + new Date(when).toLocaleTimeString();
    if (t.nextAttemptAt) meta += ' · next attempt ' + new Date(t.nextAttemptAt).toLocaleTimeString();
    li.append(el('span', { class: 'meta', textContent: meta }));
    if (t.outcome) li.append(el('span', { class: 'meta', textContent: t.outcome }));
    if (t.lastError && t.status !== 'completed') {
      li.append(el('span', { class: 'error-text', textContent: t.lastError }));
    }
    if (t.status === 'failed' || t.status === 'cancelled') {
      const b = el('button', { type: 'button', class: 'small retry', textContent: 'Retry' });
      b.addEventListener('click', () => retry(t.id, b));
      li.append(b);
    }
    return li;
  }

  function fill(name, tasks) {
    $(name + '-count') && ($(name + '-count').textContent = String(tasks.length));
    const list = $(name + '-list');
    list.replaceChildren(...(tasks.length ? tasks.map(taskItem)
      : [el('li', { class: 'meta', textContent: 'none' })]));
  }

  function fillStock(rows) {
    $('stock').querySelector('tbody').replaceChildren(...rows.map((r) => el('tr', {},
      el('td', { textContent: r.name }),
      el('td', { textContent: r.kind }),
      el('td', { textContent: r.department }),
      el('td', { class: 'num' + (r.quantity < 0 ? ' negative' : ''), textContent: r.quantity + ' ' + r.unit }),
      el('td', { class: 'num', textContent: String(r.value) }))));
  }

  // Reports tasks of this browser that finished while it was closed or disconnected.
  function reportFinished(lists) {
    const ids = new Set(mine());
    lists.history.forEach((t) => {
      if (!ids.has(t.id)) return;
      forget(t.id);
      if (t.status === 'completed') snackbar(t.outcome, 'success');
      else snackbar(t.description + ' failed: ' + t.lastError, 'error');
    });
  }

  // One reload at a time; a change during a reload triggers one more.
  function refresh() {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = Promise.all([api('GET', '/api/tasks'), api('GET', '/api/stock')])
      .then(([lists, stock]) => {
        fill('pending', lists.pending);
        fill('processing', lists.processing);
        fill('failed', lists.failed);
        fill('history', lists.history);
        fillStock(stock);
        // 004's hasPendingTasks(): something is still happening in the background
        const busy = lists.pending.length + lists.processing.length;
        $('background').hidden = busy === 0;
        $('background').textContent = busy + (busy === 1 ? ' task' : ' tasks') + ' in the background';
        reportFinished(lists);
        document.body.dataset.loaded = 'true';
      })
      .catch((e) => console.warn('kitchen: reload failed', e))
      .finally(() => {
        refreshing = null;
        if (again) {
          again = false;
          refresh();
        }
      });
    return refreshing;
  }

  async function retry(id, button) {
    button.disabled = true;
    try {
      const t = await api('POST', '/api/tasks/' + id + '/retry');
      remember(t.id);
      snackbar(t.description + ': retrying', 'info');
    } catch (e) {
      snackbar('Retry of task ' + id + ' failed: ' + e.message, 'error');
    }
    refresh();
  }

  // ---------------------------------------------------------------- live events

  function connect() {
    const status = $('connection');
    const source = new EventSource('/api/events');
    source.addEventListener('ready', () => {
      status.textContent = 'live';
      status.className = 'connection live';
      refresh();
    });
    source.addEventListener('task', (msg) => {
      const e = JSON.parse(msg.data);
      if (mine().includes(e.id)) {
        if (e.event === 'succeeded') {
          forget(e.id);
          snackbar(e.message, 'success');
        } else if (e.event === 'failed') {
          forget(e.id);
          snackbar(e.message, 'error');
        } else if (e.event === 'retry_scheduled') {
          snackbar(e.message, 'info');
        }
      }
      refresh();
    });
    source.onerror = () => {
      status.textContent = 'reconnecting…';
      status.className = 'connection down';
    };
  }

  // ---------------------------------------------------------------- dialogs

  function options(select, values, label) {
    select.replaceChildren(...values.map((v) => el('option', { value: v.id || v, textContent: label ? label(v) : v })));
  }

  function openDialog(id) {
    const d = $(id);
    d.querySelector('.form-error').textContent = '';
    d.dataset.requestId = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
    d.showModal();
  }

  function userName() {
    return localStorage.getItem('kitchen.user') || '';
  }

  // Submits a dialog's task: the dialog closes as soon as the task is queued (202).
  async function submit(dialogId, path, body, button) {
    const d = $(dialogId);
    const error = d.querySelector('.form-error');
    error.textContent = '';
    button.disabled = true;
    try {
      const t = await api('POST', path, Object.assign(body, { requestId: d.dataset.requestId }));
      d.close();
      remember(t.id);
      localStorage.setItem('kitchen.user', body.userName || '');
      snackbar(t.description + ': queued, processing in the background', 'info');
      refresh();
    } catch (e) {
      error.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  }

  function quantity(input) {
    return input.value === '' ? null : Number(input.value);
  }

  function productionDialog() {
    const prep = $('production-preparation');
    const show = () => {
      const p = catalog.preparations.find((x) => x.id === prep.value);
      if (!p) return;
      $('production-unit').textContent = p.unit;
      $('production-department').value = p.department;
      $('production-recipe').textContent = 'Per ' + p.outputYield + ' ' + p.unit + ': ' +
        p.recipe.map((r) => r.name + ' ' + r.amount + ' ' + r.unit).join(', ');
    };
    options(prep, catalog.preparations, (p) => p.name);
    options($('production-department'), catalog.departments);
    prep.addEventListener('change', show);
    show();
    $('open-production').addEventListener('click', () => {
      $('production-user').value = $('production-user').value || userName();
      openDialog('production-dialog');
    });
    $('production-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      submit('production-dialog', '/api/production', {
        preparationId: prep.value,
        quantity: quantity($('production-quantity')),
        department: $('production-department').value,
        userName: $('production-user').value,
        notes: $('production-notes').value,
      }, $('production-submit'));
    });
  }

  function writeOffDialog() {
    const kind = $('writeoff-kind');
    const item = $('writeoff-item');
    const items = () => (kind.value === 'product' ? catalog.products : catalog.preparations);
    const show = () => {
      const i = items().find((x) => x.id === item.value);
      if (!i) return;
      $('writeoff-unit').textContent = i.unit;
      $('writeoff-department').value = i.department;
    };
    const fillItems = () => {
      options(item, items(), (i) => i.name);
      show();
    };
    options($('writeoff-reason'), catalog.reasons);
    options($('writeoff-department'), catalog.departments);
    kind.addEventListener('change', fillItems);
    item.addEventListener('change', show);
    fillItems();
    $('open-writeoff').addEventListener('click', () => {
      $('writeoff-user').value = $('writeoff-user').value || userName();
      openDialog('writeoff-dialog');
    });
    $('writeoff-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      submit('writeoff-dialog', '/api/write-offs', {
        kind: kind.value,
        items: [{ itemId: item.value, quantity: quantity($('writeoff-quantity')) }],
        reason: $('writeoff-reason').value,
        department: $('writeoff-department').value,
        responsiblePerson: $('writeoff-responsible').value,
        userName: $('writeoff-user').value,
        notes: $('writeoff-notes').value,
        affectsKpi: $('writeoff-affects-kpi').checked,
      }, $('writeoff-submit'));
    });
  }

  document.querySelectorAll('[data-close]').forEach((b) =>
    b.addEventListener('click', () => $(b.getAttribute('data-close')).close()));

  api('GET', '/api/catalog').then((c) => {
    catalog = c;
    productionDialog();
    writeOffDialog();
    document.body.dataset.ready = 'true';
    connect();
  }).catch((e) => snackbar('The kitchen could not load its catalog: ' + e.message, 'error'));
})();
