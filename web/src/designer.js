// The process designers' page (GET /designer): open a procedure's newest version in bpmn-js,
// edit it, see the check's findings on the diagram after each change, preview a task's form,
// and deploy the diagram as a new version from an effective date.

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import './designer.css';

import Modeler from 'bpmn-js/lib/Modeler';
import { is } from 'bpmn-js/lib/util/ModelUtil';

import { ApiError, api, clearToken, currentSession, getToken, setToken, signOut as endSession } from './api.js';
import { propertiesModule } from './extensions.js';
import { FindingsView } from './findings.js';
import { fromLocalInput, renderForm, toLocalInput } from './form-renderer.js';
import { lintDiagram } from './lint.js';
import { PropertiesPanel } from './panel.js';
import spiffworkflow from './spiffworkflow-moddle.json';

const CHECK_DELAY_MS = 800;
const $ = (id) => document.getElementById(id);

const modeler = new Modeler({
  container: $('canvas'),
  moddleExtensions: { spiffworkflow },
  additionalModules: [propertiesModule],
});

const state = {
  code: null,
  version: null, // the version the diagram was opened from (or last deployed)
  forms: {}, // that version's forms, by key
  dirty: false,
  checkSeq: 0,
  checkTimer: null,
  checkAbort: null,
};

const findings = new FindingsView(modeler, {
  list: $('findings-list'),
  summary: $('findings-summary'),
  counts: $('finding-counts'),
});

const panel = new PropertiesPanel(modeler, $('properties-body'), {
  forms: () => Object.keys(state.forms).sort(),
  findingsOf: (id) => findings.of(id),
  preview: (key) => openPreview(key),
});

// Status lines ////////////////////////////////////////////////////////////////////////////

function setStatus(text, kind = 'info') {
  const status = $('status');
  status.textContent = text;
  status.className = `status ${kind}`;
}

function setDeployMessage(text, kind) {
  $('deploy-result').hidden = false;
  const message = $('deploy-message');
  message.textContent = text;
  message.className = `deploy-message ${kind}`;
  document.body.dataset.deploy = kind;
  $('deploy-result').scrollIntoView({ block: 'nearest' });
}

const dateTime = new Intl.DateTimeFormat('vi-VN', { dateStyle: 'short', timeStyle: 'short' });

function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

// Signing in ///////////////////////////////////////////////////////////////////////////////

function showLogin(message = '') {
  document.body.dataset.state = 'login';
  $('login').hidden = false;
  $('login-error').textContent = message;
  $('token-input').value = '';
  $('token-input').focus();
}

async function signIn(event) {
  event.preventDefault();
  const token = $('token-input').value.trim();
  if (!token) return;
  setToken(token);
  await enter();
}

function signOut() {
  if (state.dirty && !window.confirm('Sơ đồ có thay đổi chưa triển khai. Vẫn đổi mã truy cập?')) {
    return;
  }
  state.dirty = false;
  if (state.session) {
    // Signed in with a session (/dang-nhap): end it and go back to the sign-in page.
    endSession().finally(() => window.location.assign('/dang-nhap?next=/designer'));
    return;
  }
  clearToken();
  window.location.reload();
}

/** Loads the catalogue with the token held, then opens the procedure the address names. */
async function enter() {
  let procedures;
  try {
    procedures = await api.procedures();
  } catch (error) {
    if (error.status === 401) {
      clearToken();
      showLogin(error.message);
    } else {
      showLogin(`Không tải được danh mục thủ tục: ${error.message}`);
    }
    return;
  }
  $('login').hidden = true;
  for (const id of ['open-form', 'check-group', 'deploy-form', 'download-button', 'sign-out-button']) {
    $(id).hidden = false;
  }
  fillProcedures(procedures);
  resetEffectiveFrom();
  document.body.dataset.state = 'ready';
  const wanted = new URLSearchParams(window.location.search).get('procedure');
  if (wanted) {
    ensureOption(wanted);
    $('procedure-select').value = wanted;
    await open(wanted);
  } else {
    setStatus('Chọn thủ tục hoặc nhóm liên thông cần thiết kế rồi bấm “Mở”.');
  }
}

function fillProcedures(procedures) {
  const select = $('procedure-select');
  select.replaceChildren(new Option('— Chọn thủ tục —', ''));
  const groups = [
    ['procedure', 'Thủ tục'],
    ['group', 'Nhóm thủ tục liên thông'],
  ];
  for (const [kind, label] of groups) {
    const items = procedures.filter((p) => (p.kind || 'procedure') === kind);
    if (!items.length) continue;
    const optgroup = document.createElement('optgroup');
    optgroup.label = label;
    for (const item of items) {
      optgroup.append(new Option(`${item.code} – ${item.name}`, item.code));
    }
    select.append(optgroup);
  }
}

function ensureOption(code) {
  const select = $('procedure-select');
  if (![...select.options].some((option) => option.value === code)) {
    select.append(new Option(code, code));
  }
}

// Opening a procedure /////////////////////////////////////////////////////////////////////

async function open(code) {
  if (state.dirty && code !== state.code &&
      !window.confirm('Sơ đồ đang mở có thay đổi chưa triển khai. Vẫn mở thủ tục khác?')) {
    $('procedure-select').value = state.code || '';
    return;
  }
  document.body.dataset.state = 'loading';
  setStatus(`Đang mở ${code}…`);
  try {
    const { items } = await api.versions(code);
    if (!items || !items.length) {
      throw new ApiError(404, null, 'Thủ tục này chưa có phiên bản nào để mở.');
    }
    const latest = items[0];
    const [xml, forms] = await Promise.all([
      api.diagram(code, latest.version),
      api.forms(code, latest.version),
    ]);
    let warnings = [];
    try {
      ({ warnings } = await modeler.importXML(xml));
    } catch (error) {
      throw new ApiError(0, null, `Không đọc được sơ đồ: ${error.message}`);
    }
    state.code = code;
    state.version = latest;
    state.forms = forms || {};
    state.dirty = false;
    findings.clear();
    panel.show(null);
    $('deploy-result').hidden = true;
    showVersion(items);
    const url = new URL(window.location.href);
    url.searchParams.set('procedure', code);
    window.history.replaceState(null, '', url);
    setStatus(
      `Đã mở ${code}, phiên bản ${latest.version}.` +
        (warnings.length ? ` Có ${warnings.length} cảnh báo khi đọc sơ đồ.` : ''),
      warnings.length ? 'warn' : 'ok',
    );
    document.body.dataset.state = 'open';
    document.body.dataset.procedure = code;
    showProcess(latest.process_id); // after the lines above took their height
    await runCheck();
  } catch (error) {
    document.body.dataset.state = state.code ? 'open' : 'ready';
    if (error.status === 401) {
      showLogin(error.message);
      return;
    }
    setStatus(`Không mở được ${code}: ${error.message}`, 'error');
  }
}

/** Brings the procedure's own pool into view (a group's diagram holds several), or the
 * whole diagram, with a margin and room for the tool palette on the left. */
function showProcess(processId) {
  const canvas = modeler.get('canvas');
  const pool = modeler
    .get('elementRegistry')
    .find((e) => is(e, 'bpmn:Participant') && e.businessObject.processRef?.id === processId);
  const box = pool || canvas.viewbox().inner;
  const margin = 40;
  const palette = 80;
  canvas.viewbox({
    x: box.x - margin - palette,
    y: box.y - margin,
    width: box.width + 2 * margin + palette,
    height: box.height + 2 * margin,
  });
}

function showVersion(items) {
  const shown = state.version;
  const inForce = items.find((item) => item.in_force);
  let text = `Phiên bản ${shown.version}`;
  if (shown.in_force) {
    text += ' · đang áp dụng';
  } else if (shown.effective_from) {
    text += ` · có hiệu lực từ ${when(shown.effective_from)}`;
  }
  if (inForce && inForce.version !== shown.version) {
    text += ` (đang áp dụng: phiên bản ${inForce.version})`;
  }
  $('version-info').textContent = text;
}

// Checking ////////////////////////////////////////////////////////////////////////////////

function scheduleCheck() {
  clearTimeout(state.checkTimer);
  document.body.dataset.check = 'pending';
  setStatus('Sơ đồ vừa thay đổi; sắp kiểm tra lại…');
  state.checkTimer = setTimeout(runCheck, CHECK_DELAY_MS);
}

async function saveXml() {
  const { xml } = await modeler.saveXML({ format: true });
  return xml;
}

/** bpmnlint here and the server's check; the newest run wins, older answers are dropped. */
async function runCheck() {
  if (!state.code) return;
  clearTimeout(state.checkTimer);
  const seq = ++state.checkSeq;
  state.checkAbort?.abort();
  const abort = new AbortController();
  state.checkAbort = abort;
  document.body.dataset.check = 'running';
  $('finding-counts').textContent = 'Đang kiểm tra…';
  let xml;
  try {
    xml = await saveXml();
  } catch (error) {
    document.body.dataset.check = 'failed';
    setStatus(`Không xuất được sơ đồ để kiểm tra: ${error.message}`, 'error');
    return;
  }
  const [lint, server] = await Promise.allSettled([
    lintDiagram(modeler),
    api.check(state.code, xml, abort.signal),
  ]);
  if (seq !== state.checkSeq) return;
  const found = [];
  let problem = null;
  if (server.status === 'fulfilled') {
    found.push(...(server.value.findings || []).map((f) => ({ ...f, source: 'server' })));
  } else if (server.reason?.status === 401) {
    showLogin(server.reason.message);
    return;
  } else {
    problem = server.reason?.message || String(server.reason);
  }
  if (lint.status === 'fulfilled') {
    found.push(...lint.value);
  } else {
    found.push({
      severity: 'warning',
      element: 'document',
      message: `bpmnlint không chạy được: ${lint.reason?.message || lint.reason}`,
      source: 'bpmnlint',
    });
  }
  findings.show(found);
  panel.render();
  if (problem) {
    document.body.dataset.check = 'failed';
    setStatus(`Máy chủ chưa kiểm tra được sơ đồ: ${problem}`, 'error');
  } else {
    document.body.dataset.check = 'done';
    const report = server.value;
    setStatus(
      report.ok
        ? 'Máy chủ đã kiểm tra: sơ đồ triển khai được.'
        : `Máy chủ đã kiểm tra: còn ${report.errors} lỗi, chưa triển khai được.`,
      report.ok ? 'ok' : 'warn',
    );
  }
}

// Deploying ///////////////////////////////////////////////////////////////////////////////

function resetEffectiveFrom() {
  const input = $('effective-from');
  input.value = toLocalInput(new Date().toISOString());
  input.dataset.touched = '';
  input.title = 'Để nguyên thời điểm hiện tại: phiên bản áp dụng ngay khi triển khai.';
}

async function deploy(event) {
  event.preventDefault();
  if (!state.code) {
    setDeployMessage('Hãy mở một thủ tục trước khi triển khai.', 'error');
    return;
  }
  const button = $('deploy-button');
  button.disabled = true;
  setDeployMessage('Đang triển khai…', 'info');
  try {
    const body = { bpmn: await saveXml() };
    const input = $('effective-from');
    // Left at "now" it means now: the server takes the moment it receives the diagram.
    if (input.value && input.dataset.touched) body.effective_from = fromLocalInput(input.value);
    const result = await api.deploy(state.code, body);
    await deployed(result);
  } catch (error) {
    refused(error);
  } finally {
    button.disabled = false;
  }
}

async function deployed(result) {
  state.dirty = false;
  let text;
  if (!result.created) {
    text = `Sơ đồ giống hệt phiên bản ${result.version} đã có, nên không tạo phiên bản mới.`;
  } else if (result.in_force) {
    text = `Đã triển khai phiên bản ${result.version}; hồ sơ tiếp nhận từ bây giờ dùng phiên bản này.`;
  } else {
    text = `Đã triển khai phiên bản ${result.version}, có hiệu lực từ ${when(result.effective_from)}.`;
  }
  const warnings = result.findings || [];
  if (warnings.length) text += ` Có ${warnings.length} cảnh báo.`;
  setDeployMessage(text, 'ok');
  document.body.dataset.deployedVersion = String(result.version);
  resetEffectiveFrom();
  const lint = await lintDiagram(modeler).catch(() => []);
  findings.show([...warnings.map((f) => ({ ...f, source: 'server' })), ...lint]);
  panel.render();
  try {
    const { items } = await api.versions(state.code);
    state.version = items.find((item) => item.version === result.version) || items[0];
    showVersion(items);
  } catch {
    // the deployment stands; the version line is refreshed at the next opening
  }
}

function refused(error) {
  if (!(error instanceof ApiError)) {
    setDeployMessage(`Không triển khai được: ${error.message || error}`, 'error');
    return;
  }
  if (error.status === 401) {
    setDeployMessage(error.message, 'error');
    showLogin(error.message);
    return;
  }
  if (error.status === 403) {
    const said = error.body?.message ? ` Máy chủ cho biết: “${error.body.message}”.` : '';
    setDeployMessage(
      'Bạn không có quyền triển khai phiên bản mới: chỉ cán bộ thiết kế quy trình ' +
        `(vai trò thiet_ke) mới được triển khai.${said}`,
      'error',
    );
    return;
  }
  if (error.status === 422) {
    const entries = Object.entries(error.errors);
    const dates = entries.filter(([key]) => key === 'effective_from');
    const others = entries.filter(([key]) => key !== 'effective_from');
    const found = others.flatMap(([key, messages]) =>
      messages.map((message) => ({ severity: 'error', element: key, message, source: 'server' })),
    );
    if (found.length) {
      findings.show(found, {
        title: `Máy chủ từ chối sơ đồ: ${found.length} lỗi (đánh dấu trên sơ đồ).`,
      });
      panel.render();
    }
    const parts = ['Máy chủ không nhận phiên bản này.'];
    if (dates.length) parts.push(`Thời điểm hiệu lực: ${dates[0][1].join('; ')}.`);
    if (found.length) parts.push(`Sơ đồ còn ${found.length} lỗi, xem các dấu đỏ trên sơ đồ.`);
    if (!dates.length && !found.length) parts.push(error.message);
    setDeployMessage(parts.join(' '), 'error');
    return;
  }
  setDeployMessage(`Không triển khai được. ${error.message}`, 'error');
}

// Form preview ////////////////////////////////////////////////////////////////////////////

let previewView = null;

function openPreview(key) {
  const schema = state.forms[key];
  if (!schema) {
    setStatus(`Phiên bản này không có biểu mẫu ${key}.`, 'warn');
    return;
  }
  previewView = renderForm(schema, { forms: state.forms, idPrefix: 'preview' });
  $('preview-title').textContent = 'Xem trước biểu mẫu';
  $('preview-key').textContent = `Mã biểu mẫu: ${key}`;
  $('preview-body').replaceChildren(previewView.element);
  $('preview-output').hidden = true;
  $('preview-dialog').showModal();
}

function tryPreview() {
  if (!previewView) return;
  const output = $('preview-output');
  const valid = previewView.validate();
  output.hidden = false;
  output.textContent =
    (valid ? 'Dữ liệu hợp lệ theo biểu mẫu. Dữ liệu gửi đi:\n' : 'Còn trường chưa hợp lệ. Dữ liệu hiện có:\n') +
    JSON.stringify(previewView.getValue(), null, 2);
}

// Download ////////////////////////////////////////////////////////////////////////////////

async function download() {
  if (!state.code) return;
  const xml = await saveXml();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([xml], { type: 'application/xml' }));
  link.download = `${state.code}.bpmn`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// Wiring //////////////////////////////////////////////////////////////////////////////////

modeler.on('commandStack.changed', (event) => {
  if (!state.code || event.trigger === 'clear') return; // 'clear': a diagram was opened
  state.dirty = true;
  scheduleCheck();
});

// The canvas follows its box (the toolbar wraps, the window is resized).
new ResizeObserver(() => modeler.get('canvas').resized()).observe($('canvas'));

$('login-form').addEventListener('submit', signIn);
$('sign-out-button').addEventListener('click', signOut);
$('open-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const code = $('procedure-select').value;
  if (code) open(code);
});
$('check-button').addEventListener('click', () => runCheck());
$('deploy-form').addEventListener('submit', deploy);
$('effective-from').addEventListener('input', (event) => {
  event.target.dataset.touched = '1';
});
$('download-button').addEventListener('click', download);
$('preview-validate').addEventListener('click', tryPreview);
window.addEventListener('beforeunload', (event) => {
  if (state.dirty) event.preventDefault();
});

// An officer signed in on /dang-nhap uses the session; the token prompt is the fallback.
if (getToken()) {
  enter();
} else {
  currentSession()
    .catch(() => null)
    .then((session) => {
      if (session) {
        state.session = session;
        $('sign-out-button').textContent = 'Đăng xuất';
        enter();
      } else {
        showLogin();
      }
    });
}
