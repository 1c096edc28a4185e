// The officers' pages, one app routed by the address (every link a plain page load):
//   /dang-nhap          sign in (username, password) → the page asked for, else the inbox
//   /                   the inbox: open tasks by due date, flags, filters, claim and release
//   /cong-viec/<id>     one task: its form (form-renderer.js), the server's errors at fields
//   /ho-so/<code>       one dossier: status, dates, tasks, timeline, group parts, slips
//   /tiep-nhan          reception: a procedure or group, applicant, channel, the declaration
//   /lanh-dao           leaders: late and soon-due dossiers, reassigning their tasks
// Every page but /dang-nhap needs a session (GET /api/session); without one it goes to
// /dang-nhap?next=<the page>.
import './pages.css';

import { ApiError, currentSession, request, signIn, signOut } from './api.js';
import { renderForm } from './form-renderer.js';
import {
  ACTIONS,
  CHANNELS,
  OUTCOMES,
  ROLES,
  TASK_STATES,
  day,
  el,
  facts,
  fieldMessage,
  flag,
  statusText,
  when,
} from './ui.js';

const $ = (id) => document.getElementById(id);
const main = $('main');
const enc = encodeURIComponent;
let officer = null;

function setStatus(text, kind = 'info') {
  const status = $('status');
  status.textContent = text || '';
  status.className = `status ${kind}`;
}

function ready(page) {
  document.body.dataset.page = page;
  document.body.dataset.state = 'ready';
}

function busy() {
  document.body.dataset.state = 'busy';
}

function show(...children) {
  main.replaceChildren(...children.filter((child) => child !== null && child !== undefined));
}

function notFound(what) {
  show(
    el('h1', {}, `Không tìm thấy ${what}`),
    el(
      'p',
      { class: 'notice error', role: 'alert' },
      `Không tìm thấy ${what} này, hoặc ${what} không thuộc cơ quan của bạn.`,
    ),
    el('p', {}, el('a', { href: '/' }, 'Về danh sách công việc')),
  );
}

function failed(error, what) {
  if (error instanceof ApiError && error.status === 401) return toSignIn();
  if (error instanceof ApiError && error.status === 404) return notFound(what);
  show(el('p', { class: 'notice error', role: 'alert' }, error.message || String(error)));
  return undefined;
}

function toSignIn() {
  const next = window.location.pathname + window.location.search;
  window.location.assign(`/dang-nhap?next=${enc(next)}`);
}

function hasRole(role) {
  return Boolean(officer && (officer.roles || []).includes(role));
}

function showOfficer() {
  $('who-name').textContent = `${officer.full_name || officer.username} (${officer.username})`;
  $('who-agency').textContent = officer.agency ? officer.agency.name : '';
  $('who').hidden = false;
  $('nav').hidden = false;
  for (const link of $('nav').querySelectorAll('[data-role]')) {
    link.hidden = !hasRole(link.dataset.role);
  }
  for (const link of $('nav').querySelectorAll('a')) {
    const here = window.location.pathname;
    const href = link.getAttribute('href');
    if (href === here || (href !== '/' && here.startsWith(href))) {
      link.setAttribute('aria-current', 'page');
    }
  }
}

$('sign-out').addEventListener('click', async () => {
  try {
    await signOut();
  } catch {
    // signed out either way: the server forgets the session or it was already gone
  }
  window.location.assign('/dang-nhap');
});

function button(label, onclick, kind = '') {
  return el('button', { type: 'button', class: kind, onclick }, label);
}

/** Runs an action, showing its error in the status line; returns whether it succeeded. */
async function act(action, success) {
  busy();
  try {
    await action();
    if (success) setStatus(success, 'success');
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      toSignIn();
      return false;
    }
    setStatus(error.message || String(error), 'error');
    document.body.dataset.state = 'ready';
    return false;
  }
}

// Sign-in /////////////////////////////////////////////////////////////////////////////////

function safeNext() {
  const next = new URLSearchParams(window.location.search).get('next') || '/';
  // Only a path of this site: never another origin ("//evil", "https:…").
  return /^\/(?!\/)[^\\]*$/.test(next) ? next : '/';
}

async function signInPage() {
  document.title = 'Đăng nhập – Một cửa';
  const session = await currentSession().catch(() => null);
  if (session) {
    window.location.replace(safeNext());
    return;
  }
  const error = el('p', { id: 'sign-in-error', class: 'notice error', role: 'alert', hidden: true });
  const username = el('input', {
    id: 'username',
    name: 'username',
    autocomplete: 'username',
    spellcheck: 'false',
    required: true,
  });
  const password = el('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const submit = el('button', { type: 'submit', class: 'primary' }, 'Đăng nhập');
  const form = el(
    'form',
    { class: 'card stack narrow', 'aria-labelledby': 'sign-in-title' },
    el('h1', { id: 'sign-in-title' }, 'Đăng nhập'),
    el('p', { class: 'hint' }, 'Dành cho cán bộ, công chức của Bộ phận Một cửa.'),
    el('div', { class: 'field' }, el('label', { for: 'username' }, 'Tên đăng nhập'), username),
    el('div', { class: 'field' }, el('label', { for: 'password' }, 'Mật khẩu'), password),
    error,
    el('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    submit.disabled = true;
    error.hidden = true;
    busy();
    try {
      await signIn(username.value.trim(), password.value);
      window.location.assign(safeNext());
      return;
    } catch (failure) {
      const status = failure instanceof ApiError ? failure.status : 0;
      if (status === 401 || status === 400 || status === 422) {
        error.textContent = 'Tên đăng nhập hoặc mật khẩu không đúng.';
      } else if (status === 429) {
        const minutes = Math.max(1, Math.ceil((failure.retryAfter || 60) / 60));
        error.textContent =
          `Tài khoản tạm thời bị khóa do nhập sai mật khẩu nhiều lần. ` +
          `Hãy thử lại sau khoảng ${minutes} phút hoặc liên hệ quản trị hệ thống.`;
        error.dataset.locked = 'true';
      } else {
        error.textContent = failure.message || String(failure);
      }
      error.hidden = false;
      password.value = '';
      password.focus();
    }
    submit.disabled = false;
    ready('sign-in');
  });
  show(form);
  $('nav').hidden = true;
  username.focus();
  ready('sign-in');
}

// Inbox ///////////////////////////////////////////////////////////////////////////////////

let catalogue = null;

async function procedures() {
  if (!catalogue) catalogue = await request('GET', '/api/procedures');
  return catalogue;
}

function procedureName(code) {
  const found = (catalogue || []).find((p) => p.code === code);
  return found ? found.name : code;
}

const INBOX_FILTERS = {
  '': 'Tất cả',
  overdue: 'Quá hạn',
  due_soon: 'Sắp đến hạn',
  mine: 'Việc tôi đang giữ',
  unclaimed: 'Chưa có người nhận',
};

async function inboxPage() {
  document.title = 'Công việc – Một cửa';
  const params = new URLSearchParams(window.location.search);
  const chosenProcedure = params.get('procedure') || '';
  const chosenFlag = params.get('loc') || '';
  const list = await procedures().catch(() => []);

  const procedureSelect = el(
    'select',
    { id: 'filter-procedure', name: 'procedure' },
    el('option', { value: '' }, 'Tất cả thủ tục'),
    list
      .filter((p) => p.kind !== 'group')
      .map((p) => el('option', { value: p.code }, `${p.name} (${p.code})`)),
  );
  procedureSelect.value = chosenProcedure;
  const flagSelect = el(
    'select',
    { id: 'filter-flag', name: 'loc' },
    Object.entries(INBOX_FILTERS).map(([value, label]) => el('option', { value }, label)),
  );
  flagSelect.value = chosenFlag;
  const filters = el(
    'form',
    { class: 'filters', method: 'get', action: '/', role: 'search' },
    el('div', { class: 'field' }, el('label', { for: 'filter-procedure' }, 'Thủ tục'), procedureSelect),
    el('div', { class: 'field' }, el('label', { for: 'filter-flag' }, 'Tình trạng'), flagSelect),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Lọc')),
  );
  const codeInput = el('input', { id: 'open-code', name: 'code', required: true, spellcheck: 'false' });
  const openDossier = el(
    'form',
    { class: 'filters', role: 'search' },
    el('div', { class: 'field' }, el('label', { for: 'open-code' }, 'Mở hồ sơ theo mã'), codeInput),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Mở hồ sơ')),
  );
  openDossier.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = codeInput.value.trim();
    if (code) window.location.assign(`/ho-so/${enc(code)}`);
  });

  const query = new URLSearchParams();
  if (chosenProcedure) query.set('procedure', chosenProcedure);
  if (chosenFlag === 'overdue') query.set('overdue', 'true');
  if (chosenFlag === 'due_soon') query.set('due_soon', 'true');
  if (chosenFlag === 'mine') query.set('assignee', 'me');
  if (params.get('cursor')) query.set('cursor', params.get('cursor'));
  let inbox;
  try {
    inbox = await request('GET', `/api/tasks?${query}`);
  } catch (error) {
    return failed(error, 'công việc');
  }
  let items = inbox.items || [];
  if (chosenFlag === 'unclaimed') items = items.filter((task) => !task.assignee);

  const table = el(
    'table',
    { class: 'table', id: 'inbox' },
    tableHead(['Công việc', 'Hồ sơ', 'Thủ tục', 'Hạn xử lý', 'Tình trạng', 'Người xử lý', '']),
    el(
      'tbody',
      {},
      items.map((task) =>
        el(
          'tr',
          { 'data-task': task.id, class: task.overdue ? 'row-overdue' : task.due_soon ? 'row-soon' : '' },
          el('td', {}, el('a', { href: `/cong-viec/${enc(task.id)}` }, task.title)),
          el('td', {}, el('a', { href: `/ho-so/${enc(task.dossier_code)}` }, task.dossier_code)),
          el('td', {}, procedureName(task.procedure_code)),
          el('td', {}, when(task.due_at)),
          el('td', {}, flag(task)),
          el('td', {}, task.assignee ? task.assignee : el('span', { class: 'muted' }, 'Chưa có')),
          el('td', { class: 'row-actions' }, taskButtons(task, () => inboxPage())),
        ),
      ),
    ),
  );
  const next = inbox.next_cursor
    ? el(
        'a',
        {
          href: `/?${new URLSearchParams({ ...Object.fromEntries(params), cursor: inbox.next_cursor })}`,
        },
        'Trang sau →',
      )
    : null;
  show(
    el('h1', {}, 'Công việc của tôi'),
    el('div', { class: 'toolbar' }, filters, openDossier),
    items.length
      ? table
      : el('p', { class: 'notice', id: 'inbox-empty' }, 'Không có công việc nào phù hợp.'),
    next,
  );
  ready('inbox');
  return undefined;
}

/** Claim (and open) or release buttons for a task, as its state and holder allow. */
function taskButtons(task, after) {
  const mine = task.assignee && officer && task.assignee === officer.username;
  if (task.state === 'completed' || task.state === 'cancelled') return [];
  if (!task.assignee) {
    if (!hasRole(task.role)) return [];
    return [
      button(
        'Nhận việc',
        async () => {
          if (await act(() => request('POST', `/api/tasks/${enc(task.id)}/claim`), 'Đã nhận việc.')) {
            await after();
          }
        },
        'primary',
      ),
    ];
  }
  if (mine || hasRole('lanh_dao')) {
    return [
      button('Trả lại', async () => {
        if (await act(() => request('POST', `/api/tasks/${enc(task.id)}/release`), 'Đã trả lại việc.')) {
          await after();
        }
      }),
    ];
  }
  return [];
}

// Task ////////////////////////////////////////////////////////////////////////////////////

async function taskPage(id) {
  document.title = 'Công việc – Một cửa';
  await procedures().catch(() => []);
  let task;
  try {
    task = await request('GET', `/api/tasks/${enc(id)}`);
  } catch (error) {
    return failed(error, 'công việc');
  }
  document.title = `${task.title} – ${task.dossier_code}`;
  const mine = task.assignee === officer.username;
  const done = task.state === 'completed' || task.state === 'cancelled';
  const canWork = !done && hasRole(task.role) && (!task.assignee || mine);

  const view = renderForm(task.form || { type: 'object' }, {
    value: task.submitted || undefined,
    idPrefix: 'task',
    readOnly: !canWork,
  });
  const form = view.element;
  // The server decides: its 422 shows every error at its field, in one go.
  form.noValidate = true;
  form.id = 'task-form';
  const actions = el('div', { class: 'actions' });
  if (canWork) {
    actions.append(el('button', { type: 'submit', class: 'primary', id: 'complete' }, 'Hoàn thành'));
  }
  actions.append(...taskButtons(task, () => taskPage(id)));
  form.append(actions);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!canWork) return;
    view.clearErrors();
    busy();
    try {
      if (!mine) await request('POST', `/api/tasks/${enc(id)}/claim`);
      const result = await request('POST', `/api/tasks/${enc(id)}/complete`, {
        json: { data: view.getValue() },
      });
      setStatus('Đã hoàn thành bước.', 'success');
      const next = (result.next_tasks || []).find((t) => hasRole(t.role));
      window.location.assign(next ? `/cong-viec/${enc(next.id)}` : `/ho-so/${enc(task.dossier_code)}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return toSignIn();
      if (error instanceof ApiError && error.status === 422) {
        const first = view.showErrors(error.errors);
        setStatus('Biểu mẫu còn lỗi: xem các trường được đánh dấu.', 'error');
        if (first) {
          first.scrollIntoView({ block: 'center' });
          const input = first.querySelector('input, select, textarea');
          if (input) input.focus();
        }
      } else {
        setStatus(error.message || String(error), 'error');
      }
      ready('task');
    }
    return undefined;
  });

  const header = el(
    'section',
    { class: 'card' },
    el('h1', {}, task.title),
    facts([
      ['Hồ sơ', el('a', { href: `/ho-so/${enc(task.dossier_code)}` }, task.dossier_code)],
      ['Thủ tục', procedureLabel(task.procedure_code)],
      ['Tình trạng hồ sơ', statusText(task.dossier_status)],
      ['Vai trò', ROLES[task.role] || task.role],
      ['Trạng thái', TASK_STATES[task.state] || task.state],
      ['Người xử lý', task.assignee || 'Chưa có'],
      ['Hạn xử lý', el('span', {}, when(task.due_at), ' ', flag(task))],
    ]),
    task.documentation ? el('p', { class: 'hint' }, task.documentation) : null,
  );
  const context = await dossierContext(task);
  show(header, context, el('section', { class: 'card task-form' }, form));
  ready('task');
  return undefined;
}

/** The applicant and the declaration, read-only, as the step's context. */
async function dossierContext(task) {
  const data = task.data || {};
  const parts = [];
  if (data.applicant) {
    parts.push(
      facts([
        ['Người nộp', data.applicant.full_name],
        ['Điện thoại', data.applicant.phone],
        ['Địa chỉ', data.applicant.address],
      ]),
    );
  }
  if (data.declaration) {
    let schema = null;
    try {
      const procedure = await request('GET', `/api/procedures/${enc(task.procedure_code)}`);
      schema = procedure.declaration_schema;
    } catch {
      schema = null;
    }
    if (schema) {
      parts.push(
        renderForm(schema, { value: data.declaration, readOnly: true, idPrefix: 'decl', showTitle: false })
          .element,
      );
    } else {
      parts.push(el('pre', { class: 'json' }, JSON.stringify(data.declaration, null, 2)));
    }
  }
  if (!parts.length) return null;
  return el(
    'details',
    { class: 'card' },
    el('summary', {}, 'Thông tin hồ sơ (tờ khai, người nộp)'),
    ...parts,
  );
}

// Dossier /////////////////////////////////////////////////////////////////////////////////

const SLIPS = {
  'tiep-nhan': 'Giấy tiếp nhận hồ sơ và hẹn trả kết quả',
  'kiem-soat': 'Phiếu kiểm soát quá trình giải quyết hồ sơ',
  'bo-sung': 'Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ',
  'tu-choi': 'Phiếu từ chối tiếp nhận, giải quyết hồ sơ',
  'xin-loi': 'Phiếu xin lỗi và hẹn lại ngày trả kết quả',
  'dung-xu-ly': 'Phiếu đề nghị dừng xử lý hồ sơ',
};

const ACCEPTED = new Set([2, 4, 6, 9, 10]);

/** The slips this dossier has (the server issues each only once its event happened): as the
 * server lists them, else from the statuses it reached. */
function slipsOf(dossier) {
  if (Array.isArray(dossier.slips)) {
    return dossier.slips.map((slip) => (typeof slip === 'string' ? slip : slip.kind));
  }
  const reached = new Set((dossier.timeline || []).map((e) => e.status_after && e.status_after.code));
  if (dossier.status) reached.add(dossier.status.code);
  const kinds = [];
  if (dossier.kind !== 'group' && [...reached].some((code) => ACCEPTED.has(code))) kinds.push('tiep-nhan');
  if (dossier.kind === 'group' || dossier.group_code) kinds.push('kiem-soat');
  if (reached.has(5) || dossier.supplement_requests) kinds.push('bo-sung');
  if (reached.has(3)) kinds.push('tu-choi');
  if (dossier.apology && dossier.original_due_at) kinds.push('xin-loi');
  if (reached.has(8)) kinds.push('dung-xu-ly');
  return kinds;
}

async function dossierPage(code) {
  document.title = `Hồ sơ ${code} – Một cửa`;
  await procedures().catch(() => []);
  let dossier;
  try {
    dossier = await request('GET', `/api/dossiers/${enc(code)}`);
  } catch (error) {
    return failed(error, 'hồ sơ');
  }
  const isGroup = dossier.kind === 'group';
  const summary = el(
    'section',
    { class: 'card', id: 'dossier-summary' },
    el('h1', {}, `Hồ sơ ${dossier.code}`),
    facts([
      ['Thủ tục', isGroup ? dossier.name : procedureLabel(dossier.procedure_code)],
      ['Tình trạng', el('strong', { id: 'dossier-status' }, statusText(dossier.status))],
      ['Cơ quan', dossier.agency && dossier.agency.name],
      ['Người nộp', dossier.applicant && dossier.applicant.full_name],
      ['Hình thức nộp', CHANNELS[dossier.channel]],
      ['Ngày tiếp nhận', when(dossier.received_at)],
      ['Hạn giải quyết', when(dossier.due_at)],
      ['Ngày hẹn trả kết quả', el('strong', { id: 'appointment' }, day(dossier.appointment_date))],
      ['Ngày hẹn ban đầu', dossier.original_due_at ? when(dossier.original_due_at) : null],
      ['Hoàn thành lúc', dossier.finished_at ? when(dossier.finished_at) : null],
      ['Kết quả đúng hạn', dossier.outcome ? OUTCOMES[dossier.outcome] || dossier.outcome : null],
      ['Khóa tra cứu', dossier.lookup_secret || null],
    ]),
  );
  if (new URLSearchParams(window.location.search).get('moi')) {
    summary.prepend(el('p', { class: 'notice success', role: 'status' }, 'Đã tiếp nhận hồ sơ.'));
  }
  if (dossier.supplement) {
    summary.append(
      el(
        'p',
        { class: 'notice warning' },
        `Đang chờ công dân bổ sung giấy tờ (yêu cầu lúc ${when(dossier.supplement.awaited_since)}` +
          (dossier.supplement.window_ends ? `, hạn bổ sung ${when(dossier.supplement.window_ends)}).` : ').'),
      ),
    );
  }
  if (dossier.apology) {
    summary.append(
      el(
        'p',
        { class: 'notice warning' },
        `Đã xin lỗi và hẹn lại ngày trả (${when(dossier.apology.at)}): ${dossier.apology.reason || ''}`,
      ),
    );
  }

  const kinds = slipsOf(dossier);
  const reception = (dossier.tasks || []).find((t) => t.step === 'tiep_nhan' && t.state !== 'completed');
  const slips = el(
    'section',
    { class: 'card', id: 'slips' },
    el('h2', {}, 'Phiếu, giấy in'),
    !kinds.includes('tiep-nhan') && reception
      ? el(
          'p',
          { class: 'hint' },
          'Giấy tiếp nhận hồ sơ và hẹn trả kết quả có sau khi hoàn thành bước ',
          el('a', { href: `/cong-viec/${enc(reception.id)}` }, reception.title),
          '.',
        )
      : null,
    el(
      'ul',
      { class: 'links' },
      kinds.map((kind) =>
        el(
          'li',
          {},
          el(
            'a',
            {
              href: `/api/dossiers/${enc(dossier.code)}/slips/${kind}`,
              target: '_blank',
              rel: 'noopener',
              'data-slip': kind,
            },
            SLIPS[kind] || kind,
          ),
        ),
      ),
    ),
  );

  const documents = await request('GET', `/api/dossiers/${enc(dossier.code)}/documents`).catch(() => []);
  if (Array.isArray(documents) && documents.length) {
    slips.append(
      el('h3', {}, 'Văn bản kết quả'),
      el(
        'ul',
        { class: 'links', id: 'documents' },
        documents.map((doc) =>
          el(
            'li',
            {},
            el(
              'a',
              { href: `/api/dossiers/${enc(dossier.code)}/documents/${doc.id}`, target: '_blank', rel: 'noopener' },
              doc.filename,
            ),
            doc.signed_by ? ` · ký số bởi ${doc.signed_by}` : ' · chưa ký số',
          ),
        ),
      ),
    );
  }
  const sections = [summary, slips];
  sections.push(isGroup ? groupActionsSection(dossier) : actionsSection(dossier));
  if (isGroup) sections.push(partsSection(dossier));
  if (dossier.tasks) sections.push(tasksSection(dossier));
  if (dossier.timeline) sections.push(timelineSection(dossier));
  show(...sections);
  ready('dossier');
  return undefined;
}

// The dossier's own actions, each a small JSON Schema form (form-renderer.js, so the
// server's 422 shows at its fields as on a task): a supplement asked during processing, the
// supplement brought, a leader's apology with a new appointment.
const SUPPLEMENT_REQUEST = {
  type: 'object',
  required: ['missing', 'reason'],
  properties: {
    missing: {
      title: 'Giấy tờ cần bổ sung',
      description: 'Liệt kê một lần tất cả giấy tờ người nộp phải bổ sung.',
      type: 'array',
      minItems: 1,
      items: { title: 'Giấy tờ', type: 'string', minLength: 1, maxLength: 255 },
    },
    reason: { title: 'Lý do', type: 'string', minLength: 1, maxLength: 2000 },
  },
};
const SUPPLEMENT_OVERRIDE = {
  title: 'Lý do yêu cầu bổ sung lần thứ hai (lãnh đạo; hồ sơ tính là trễ hạn)',
  type: 'string',
  maxLength: 2000,
};
const SUPPLEMENT = {
  type: 'object',
  required: ['received'],
  properties: {
    received: {
      title: 'Giấy tờ đã nhận bổ sung',
      type: 'array',
      minItems: 1,
      items: { title: 'Giấy tờ', type: 'string', minLength: 1, maxLength: 255 },
    },
    note: { title: 'Ghi chú', type: 'string', maxLength: 2000 },
  },
};
const APOLOGY = {
  type: 'object',
  required: ['reason', 'new_appointment'],
  properties: {
    reason: { title: 'Lý do chậm trả kết quả', type: 'string', minLength: 1, maxLength: 2000 },
    new_appointment: { title: 'Ngày hẹn trả kết quả mới', type: 'string', format: 'date' },
  },
};

function actionsSection(dossier) {
  const code = dossier.status ? dossier.status.code : 0;
  const section = el('section', { class: 'card', id: 'actions' }, el('h2', {}, 'Thao tác với hồ sơ'));
  if (FINISHED.has(code)) {
    section.append(el('p', { class: 'hint' }, 'Hồ sơ đã kết thúc.'));
    return section;
  }
  const path = `/api/dossiers/${enc(dossier.code)}`;
  if (code === 5 && hasRole('tiep_nhan')) {
    section.append(actionForm('Ghi nhận giấy tờ bổ sung', SUPPLEMENT, `${path}/supplement`, 'supplement', 'Đã ghi nhận bổ sung.'));
  } else if ((code === 2 || code === 4) && (hasRole('tham_dinh') || hasRole('lanh_dao'))) {
    const schema = hasRole('lanh_dao') && dossier.supplement_requests
      ? { ...SUPPLEMENT_REQUEST, properties: { ...SUPPLEMENT_REQUEST.properties, override_reason: SUPPLEMENT_OVERRIDE } }
      : SUPPLEMENT_REQUEST;
    section.append(actionForm('Yêu cầu bổ sung giấy tờ', schema, `${path}/supplement-request`, 'supplement-request', 'Đã gửi yêu cầu bổ sung.'));
  }
  if (hasRole('lanh_dao') && !dossier.apology) {
    section.append(actionForm('Xin lỗi, hẹn lại ngày trả kết quả', APOLOGY, `${path}/apology`, 'apology', 'Đã ghi thư xin lỗi và ngày hẹn mới.'));
  }
  if (section.children.length === 1) return null;
  return section;
}

// A group's one action: the apology of an agency whose own part is still open (its leader),
// which moves the group's appointment, once per group.
function groupActionsSection(group) {
  const mine = (group.parts || []).filter((part) => part.dossier_code && !part.finished_at);
  if (!hasRole('lanh_dao') || group.apology || group.finished_at || !mine.length) return null;
  return el(
    'section',
    { class: 'card', id: 'actions' },
    el('h2', {}, 'Thao tác với hồ sơ liên thông'),
    actionForm(
      'Xin lỗi, hẹn lại ngày trả kết quả của cả hồ sơ liên thông',
      APOLOGY,
      `/api/dossiers/${enc(group.code)}/apology`,
      'apology',
      'Đã ghi thư xin lỗi và ngày hẹn mới cho cả hồ sơ.',
    ),
  );
}

function actionForm(title, schema, path, id, success) {
  const view = renderForm(schema, { idPrefix: `action-${id}`, showTitle: false });
  view.element.noValidate = true;
  view.element.append(el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, title)));
  view.element.addEventListener('submit', async () => {
    view.clearErrors();
    busy();
    try {
      await request('POST', path, { json: view.getValue() });
      setStatus(success, 'success');
      await dossierPage(decodeURIComponent(path.split('/')[3]));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return toSignIn();
      if (error instanceof ApiError && error.status === 422) view.showErrors(error.errors);
      setStatus(error.message || String(error), 'error');
      ready('dossier');
    }
    return undefined;
  });
  return el('details', { class: 'action', id: `action-${id}` }, el('summary', {}, title), view.element);
}

function procedureLabel(code) {
  const name = procedureName(code);
  return name && name !== code ? `${name} (${code})` : code;
}

function partsSection(dossier) {
  return el(
    'section',
    { class: 'card', id: 'parts' },
    el('h2', {}, 'Các cơ quan liên thông'),
    el(
      'table',
      { class: 'table' },
      tableHead(['Thủ tục', 'Cơ quan', 'Tình trạng', 'Chuyển đi', 'Nhận lúc', 'Hạn', 'Hoàn thành', 'Kết quả']),
      el(
        'tbody',
        {},
        (dossier.parts || []).map((part) =>
          el(
            'tr',
            { class: part.overdue ? 'row-overdue' : '' },
            el(
              'td',
              {},
              part.dossier_code
                ? el('a', { href: `/ho-so/${enc(part.dossier_code)}` }, part.name || part.procedure)
                : part.name || part.procedure,
            ),
            el('td', {}, part.agency ? part.agency.name || part.agency.code : '—'),
            el('td', {}, statusText(part.status)),
            el('td', {}, when(part.handed_over_at)),
            el('td', {}, when(part.taken_over_at)),
            el('td', {}, when(part.due_at), part.overdue ? [' ', flag(part)] : null),
            el('td', {}, when(part.finished_at)),
            el('td', {}, part.outcome ? OUTCOMES[part.outcome] || part.outcome : '—'),
          ),
        ),
      ),
    ),
  );
}

/** A table's header row: one column header per title. */
function tableHead(titles) {
  return el('thead', {}, el('tr', {}, titles.map((title) => el('th', { scope: 'col' }, title))));
}

function tasksSection(dossier) {
  return el(
    'section',
    { class: 'card', id: 'tasks' },
    el('h2', {}, 'Các bước xử lý'),
    el(
      'table',
      { class: 'table' },
      tableHead(['Bước', 'Trạng thái', 'Người xử lý', 'Hạn', 'Tình trạng', 'Kết quả']),
      el(
        'tbody',
        {},
        dossier.tasks.map((task) =>
          el(
            'tr',
            { 'data-task': task.id, 'data-state': task.state },
            el('td', {}, el('a', { href: `/cong-viec/${enc(task.id)}` }, task.title)),
            el('td', {}, TASK_STATES[task.state] || task.state),
            el('td', {}, task.assignee || '—'),
            el('td', {}, when(task.due_at)),
            el('td', {}, flag(task)),
            el('td', {}, task.outcome ? OUTCOMES[task.outcome] || task.outcome : '—'),
          ),
        ),
      ),
    ),
  );
}

function timelineSection(dossier) {
  return el(
    'section',
    { class: 'card', id: 'timeline' },
    el('h2', {}, 'Diễn biến'),
    el(
      'ol',
      { class: 'timeline' },
      dossier.timeline.map((event) =>
        el(
          'li',
          {},
          el('time', { datetime: event.at }, when(event.at)),
          ' ',
          el('strong', {}, ACTIONS[event.action] || event.action),
          event.step ? ` · ${stepTitle(dossier, event.step)}` : '',
          event.officer ? ` · ${event.officer}` : '',
          event.status_after ? ` → ${statusText(event.status_after)}` : '',
        ),
      ),
    ),
  );
}

function stepTitle(dossier, step) {
  const task = (dossier.tasks || []).find((t) => t.step === step);
  return task ? task.title : step;
}

// Reception ///////////////////////////////////////////////////////////////////////////////

async function receptionPage() {
  document.title = 'Tiếp nhận hồ sơ – Một cửa';
  const list = await procedures().catch((error) => {
    failed(error, 'danh mục thủ tục');
    return null;
  });
  if (!list) return;
  const select = el(
    'select',
    { id: 'reception-procedure', name: 'procedure', required: true },
    el('option', { value: '' }, '— Chọn thủ tục hoặc nhóm liên thông —'),
    el(
      'optgroup',
      { label: 'Thủ tục' },
      list.filter((p) => p.kind !== 'group').map((p) => el('option', { value: p.code }, `${p.name} (${p.code})`)),
    ),
    el(
      'optgroup',
      { label: 'Liên thông' },
      list.filter((p) => p.kind === 'group').map((p) => el('option', { value: p.code }, `${p.name} (${p.code})`)),
    ),
  );
  const host = el('div', { id: 'reception-body' });
  show(
    el('h1', {}, 'Tiếp nhận hồ sơ'),
    el(
      'div',
      { class: 'card' },
      el('div', { class: 'field' }, el('label', { for: 'reception-procedure' }, 'Thủ tục'), select),
    ),
    host,
  );
  select.addEventListener('change', () => {
    if (select.value) receptionForm(select.value, host);
    else host.replaceChildren();
  });
  const wanted = new URLSearchParams(window.location.search).get('thu-tuc');
  if (wanted) {
    select.value = wanted;
    await receptionForm(wanted, host);
  }
  ready('reception');
}

function applicantFields() {
  const input = (id, label, attrs = {}) =>
    el(
      'div',
      { class: 'field', 'data-path': `applicant.${id}` },
      el('label', { for: `applicant-${id}` }, label, attrs.required ? el('span', { class: 'jsf-required', 'aria-hidden': 'true' }, '*') : null),
      el('input', { id: `applicant-${id}`, name: id, ...attrs }),
    );
  return [
    input('full_name', 'Họ, chữ đệm và tên người nộp', { required: true, autocomplete: 'off' }),
    input('id_number', 'Số định danh cá nhân (CCCD)', { inputmode: 'numeric', autocomplete: 'off' }),
    input('phone', 'Số điện thoại', { type: 'tel', autocomplete: 'off' }),
    input('email', 'Thư điện tử', { type: 'email', autocomplete: 'off' }),
    input('address', 'Địa chỉ', { autocomplete: 'off' }),
  ];
}

async function receptionForm(code, host) {
  busy();
  let procedure;
  try {
    procedure = await request('GET', `/api/procedures/${enc(code)}`);
  } catch (error) {
    host.replaceChildren(el('p', { class: 'notice error', role: 'alert' }, error.message));
    ready('reception');
    return;
  }
  const schema = procedure.declaration_schema || { type: 'object' };
  let forms = {};
  if (JSON.stringify(schema).includes('motcua:forms/') && procedure.version) {
    forms = await request(
      'GET',
      `/api/procedures/${enc(code)}/versions/${procedure.version}/forms`,
    ).catch(() => ({}));
  }
  const declaration = renderForm(schema, { forms, idPrefix: 'decl' });
  const declForm = declaration.element;
  const applicant = el('fieldset', { class: 'card stack', id: 'applicant' }, el('legend', {}, 'Người nộp hồ sơ'), applicantFields());
  const channel = el(
    'fieldset',
    { class: 'card', id: 'channel' },
    el('legend', {}, 'Hình thức nộp'),
    Object.entries(CHANNELS).map(([value, label]) =>
      el(
        'label',
        { class: 'jsf-option' },
        el('input', { type: 'radio', name: 'channel', value, checked: value === '1' }),
        ` ${label}`,
      ),
    ),
  );
  const extras = [];
  let memberBoxes = [];
  let verification = null;
  if (procedure.kind === 'group') {
    memberBoxes = (procedure.members || []).map((member) =>
      el('input', { type: 'checkbox', value: member.code, checked: true, disabled: !member.optional }),
    );
    verification = el('input', { type: 'checkbox', id: 'verification' });
    extras.push(
      el(
        'fieldset',
        { class: 'card' },
        el('legend', {}, 'Các thủ tục trong nhóm'),
        (procedure.members || []).map((member, index) =>
          el('label', { class: 'jsf-option' }, memberBoxes[index], ` ${member.name} (${member.code})`),
        ),
        procedure.deadline_verification
          ? el(
              'label',
              { class: 'jsf-option' },
              verification,
              ` Cần xác minh (${procedure.deadline_verification.note || 'thời hạn dài hơn'})`,
            )
          : null,
      ),
    );
  }
  const errorBox = el('ul', { class: 'notice error', role: 'alert', hidden: true, id: 'reception-errors' });
  const submit = el('button', { type: 'submit', class: 'primary', id: 'receive' }, 'Tiếp nhận hồ sơ');
  declForm.noValidate = true;
  declForm.id = 'declaration';
  // The declaration is form-renderer's <form>; the applicant and channel are read beside it.
  declForm.append(errorBox, el('div', { class: 'actions' }, submit));
  const wrapper = el(
    'div',
    { class: 'stack', id: 'reception-form' },
    applicant,
    channel,
    ...extras,
    el('section', { class: 'card' }, el('h2', {}, 'Tờ khai'), declForm),
  );
  host.replaceChildren(wrapper);

  declForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    declaration.clearErrors();
    clearFieldErrors(applicant);
    errorBox.hidden = true;
    errorBox.replaceChildren();
    const person = {};
    for (const input of applicant.querySelectorAll('input')) {
      if (input.value.trim()) person[input.name] = input.value.trim();
    }
    const body = {
      procedure: code,
      applicant: person,
      channel: Number(channel.querySelector('input:checked').value),
      data: declaration.getValue(),
    };
    if (procedure.kind === 'group') {
      body.procedures = memberBoxes.filter((box) => box.checked).map((box) => box.value);
      if (procedure.deadline_verification) body.verification = verification.checked;
    }
    submit.disabled = true;
    busy();
    try {
      const created = await request('POST', '/api/dossiers', { json: body });
      window.location.assign(`/ho-so/${enc(created.code)}?moi=1`);
      return;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return toSignIn();
      if (error instanceof ApiError && error.status === 422) {
        const data = {};
        for (const [path, messages] of Object.entries(error.errors)) {
          if (path.startsWith('applicant.') || path === 'applicant') {
            showFieldError(applicant, path, messages);
          } else if (path === 'data' || path.startsWith('data.')) {
            data[path] = messages;
          } else {
            errorBox.append(el('li', {}, `${path}: ${[].concat(messages).map(fieldMessage).join(' ')}`));
          }
        }
        const first = declaration.showErrors(data);
        if (errorBox.children.length) errorBox.hidden = false;
        setStatus('Hồ sơ chưa tiếp nhận được: xem các trường được đánh dấu.', 'error');
        const target = applicant.querySelector('.jsf-invalid') || first || errorBox;
        if (target && target.scrollIntoView) target.scrollIntoView({ block: 'center' });
      } else {
        setStatus(error.message || String(error), 'error');
      }
    }
    submit.disabled = false;
    ready('reception');
    return undefined;
  });
  ready('reception');
}

function clearFieldErrors(container) {
  container.querySelectorAll('.jsf-error').forEach((e) => e.remove());
  container.querySelectorAll('.jsf-invalid').forEach((e) => e.classList.remove('jsf-invalid'));
  container.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
}

function showFieldError(container, path, messages) {
  const field = container.querySelector(`[data-path="${CSS.escape(path)}"]`) || container;
  field.classList.add('jsf-invalid');
  const id = `${path.replace(/\W/g, '-')}-error`;
  field.append(el('p', { class: 'jsf-error', id }, [].concat(messages).map(fieldMessage).join(' ')));
  const input = field.querySelector('input');
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', id);
  }
}

// Leader //////////////////////////////////////////////////////////////////////////////////

async function leaderPage() {
  document.title = 'Lãnh đạo – Một cửa';
  if (!hasRole('lanh_dao')) {
    show(el('p', { class: 'notice error', role: 'alert' }, 'Trang này dành cho lãnh đạo cơ quan.'));
    ready('leader');
    return;
  }
  await procedures().catch(() => []);
  // Due soon as the inbox counts it (not yet due, due within a working day of the agency's
  // calendar): the server decides, for every dossier, not only a first page.
  const [late, soon] = await Promise.all([
    request('GET', '/api/dossiers?overdue=true').catch((error) => error),
    request('GET', '/api/dossiers?due_soon=true').catch((error) => error),
  ]);
  if (late instanceof ApiError && late.status === 401) return toSignIn();
  // Any dossier of the agency, by its code: its open steps, to reassign.
  const codeInput = el('input', { id: 'leader-code', name: 'code', required: true, spellcheck: 'false' });
  const byCodeTasks = el('div', { class: 'dossier-tasks', id: 'leader-code-tasks' });
  const byCode = el(
    'form',
    { class: 'filters', role: 'search' },
    el('div', { class: 'field' }, el('label', { for: 'leader-code' }, 'Mã hồ sơ'), codeInput),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Xem các bước')),
  );
  byCode.addEventListener('submit', async (event) => {
    event.preventDefault();
    const code = codeInput.value.trim();
    if (!code) return;
    busy();
    await loadDossierTasks(code, byCodeTasks);
    ready('leader');
  });
  show(
    el('h1', {}, 'Theo dõi hồ sơ trễ hạn, sắp đến hạn'),
    dossierList('Hồ sơ quá hạn', 'late', late),
    dossierList('Hồ sơ sắp đến hạn', 'soon', soon),
    el('section', { class: 'card', id: 'leader-by-code' }, el('h2', {}, 'Giao lại việc của một hồ sơ'), byCode, byCodeTasks),
  );
  ready('leader');
  return undefined;
}

const FINISHED = new Set([3, 7, 8, 10]);


function dossierList(title, id, answer) {
  const section = el('section', { class: 'card', id: `leader-${id}` }, el('h2', {}, title));
  if (answer instanceof Error) {
    section.append(el('p', { class: 'notice error' }, `Không tải được danh sách: ${answer.message}`));
    return section;
  }
  const items = answer.items || [];
  if (!items.length) {
    section.append(el('p', { class: 'notice' }, 'Không có hồ sơ nào.'));
    return section;
  }
  const list = el('ul', { class: 'dossier-list' });
  for (const dossier of items) {
    const detail = el('div', { class: 'dossier-tasks' });
    const open = button('Xem các bước, giao lại', async () => {
      open.disabled = true;
      await loadDossierTasks(dossier.code, detail);
    });
    list.append(
      el(
        'li',
        { 'data-dossier': dossier.code },
        el('a', { href: `/ho-so/${enc(dossier.code)}` }, dossier.code),
        ` · ${dossier.applicant_name || (dossier.applicant && dossier.applicant.full_name) || ''}`,
        ` · ${dossier.procedure_name || procedureLabel(dossier.procedure_code)}`,
        ` · ${statusText(dossier.status)} · hạn ${when(dossier.due_at)} `,
        flag(dossier),
        ' ',
        open,
        detail,
      ),
    );
  }
  section.append(list);
  return section;
}

async function loadDossierTasks(code, host) {
  let dossier;
  try {
    dossier = await request('GET', `/api/dossiers/${enc(code)}`);
  } catch (error) {
    host.replaceChildren(el('p', { class: 'notice error' }, error.message));
    return;
  }
  const open = (dossier.tasks || []).filter((t) => t.state === 'open' || t.state === 'claimed');
  if (!open.length) {
    host.replaceChildren(el('p', { class: 'notice' }, 'Hồ sơ không còn bước nào đang mở.'));
    return;
  }
  // Whom each step may go to: the agency's active officers holding its role, offered as
  // suggestions (a username typed by hand still works).
  const roles = [...new Set(open.map((task) => task.role).filter(Boolean))];
  const lists = await Promise.all(
    roles.map((role) =>
      request('GET', `/api/officers?role=${enc(role)}`)
        .then((answer) => [role, answer.items || []])
        .catch(() => [role, []]),
    ),
  );
  const suggestions = lists.map(([role, officers]) =>
    el(
      'datalist',
      { id: `officers-${host.id || 'host'}-${role}` },
      ...officers.map((officer) => el('option', { value: officer.username }, officer.full_name || officer.username)),
    ),
  );
  host.replaceChildren(
    ...suggestions,
    ...open.map((task) => {
      const inputId = `assign-${task.id}`;
      const input = el('input', {
        id: inputId,
        name: 'username',
        required: true,
        spellcheck: 'false',
        autocomplete: 'off',
        list: `officers-${host.id || 'host'}-${task.role}`,
        placeholder: 'VD: h29.01.tham_dinh',
      });
      const form = el(
        'form',
        { class: 'assign', 'data-task': task.id },
        el('span', {}, `${task.title} · ${task.assignee || 'chưa có người nhận'} · hạn ${when(task.due_at)} `, flag(task)),
        el('label', { for: inputId }, 'Giao cho cán bộ (tên đăng nhập)'),
        input,
        el('button', { type: 'submit' }, 'Giao lại'),
      );
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const username = input.value.trim();
        if (!username) return;
        if (
          await act(
            () => request('POST', `/api/tasks/${enc(task.id)}/assign`, { json: { username } }),
            `Đã giao “${task.title}” cho ${username}.`,
          )
        ) {
          await loadDossierTasks(code, host);
          ready('leader');
        }
      });
      return form;
    }),
  );
}

// Routing /////////////////////////////////////////////////////////////////////////////////

const ROUTES = [
  [/^\/$/, inboxPage],
  [/^\/cong-viec\/([^/]+)\/?$/, taskPage],
  [/^\/ho-so\/([^/]+)\/?$/, dossierPage],
  [/^\/tiep-nhan\/?$/, receptionPage],
  [/^\/lanh-dao\/?$/, leaderPage],
];

async function start() {
  const path = window.location.pathname;
  if (/^\/dang-nhap\/?$/.test(path)) {
    await signInPage();
    return;
  }
  let session;
  try {
    session = await currentSession();
  } catch (error) {
    show(el('p', { class: 'notice error', role: 'alert' }, error.message));
    return;
  }
  if (!session) {
    toSignIn();
    return;
  }
  officer = session.officer;
  showOfficer();
  for (const [pattern, page] of ROUTES) {
    const match = pattern.exec(path);
    if (match) {
      await page(...match.slice(1).map(decodeURIComponent));
      return;
    }
  }
  show(el('h1', {}, 'Không tìm thấy trang'), el('p', {}, el('a', { href: '/' }, 'Về danh sách công việc')));
  ready('not-found');
}

start().catch((error) => {
  show(el('p', { class: 'notice error', role: 'alert' }, error.message || String(error)));
  document.body.dataset.state = 'error';
});
