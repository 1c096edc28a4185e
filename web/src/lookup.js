// The citizens' public lookup page (/tra-cuu): a dossier's status by its code and lookup
// secret (also read from the address's fragment `#ma=<code>&khoa=<secret>`, which the
// receipt's QR code opens, and submitted at once; the fragment is then taken out of the
// address bar), and the check of a signed result PDF (POST /api/verify).
// No session, no token: requests carry no credentials.
import './pages.css';

import { ApiError, request } from './api.js';
import { day, el, facts, when } from './ui.js';

const $ = (id) => document.getElementById(id);
const NOT_FOUND =
  'Không tìm thấy hồ sơ với mã hồ sơ và khóa tra cứu này. Hãy kiểm tra lại mã và khóa in trên giấy tiếp nhận.';

function tooMany(error) {
  const minutes = Math.max(1, Math.ceil((error.retryAfter || 60) / 60));
  return `Bạn đã tra cứu quá nhiều lần. Hãy thử lại sau khoảng ${minutes} phút.`;
}

function showResult(...children) {
  const box = $('lookup-result');
  box.replaceChildren(...children);
  box.hidden = false;
}

async function lookUp(event) {
  if (event) event.preventDefault();
  const code = $('lookup-code').value.trim();
  const secret = $('lookup-secret').value.trim();
  if (!code || !secret) {
    showResult(el('p', { class: 'notice error', role: 'alert' }, 'Hãy nhập mã hồ sơ và khóa tra cứu.'));
    return;
  }
  document.body.dataset.state = 'busy';
  try {
    const found = await request('POST', '/api/lookup', { json: { code, secret }, anonymous: true });
    showResult(...describe(code, found));
    document.body.dataset.result = 'found';
  } catch (error) {
    const status = error instanceof ApiError ? error.status : 0;
    let message = error.message || String(error);
    if (status === 404) message = NOT_FOUND;
    if (status === 429) message = tooMany(error);
    showResult(el('p', { class: 'notice error', role: 'alert', id: 'lookup-error' }, message));
    document.body.dataset.result = status === 404 ? 'not-found' : status === 429 ? 'limited' : 'error';
  }
  document.body.dataset.state = 'ready';
}

function statusLabel(status) {
  if (!status) return '—';
  return typeof status === 'object' ? status.label || String(status.code) : String(status);
}

function procedureText(procedure) {
  if (!procedure) return null;
  if (typeof procedure === 'string') return procedure;
  return procedure.name ? `${procedure.name} (${procedure.code})` : procedure.code;
}

function describe(code, found) {
  const parts = [
    el('h2', {}, `Hồ sơ ${found.code || code}`),
    facts([
      ['Thủ tục', procedureText(found.procedure)],
      ['Tình trạng', el('strong', { id: 'lookup-status' }, statusLabel(found.status))],
      ['Ngày tiếp nhận', found.received_at ? when(found.received_at) : null],
      ['Ngày hẹn trả kết quả', el('strong', { id: 'lookup-appointment' }, day(found.appointment_date))],
      [
        'Ngày hẹn ban đầu',
        found.apology && found.apology.original_appointment_date
          ? day(found.apology.original_appointment_date)
          : null,
      ],
      ['Đã trả kết quả lúc', found.finished_at ? when(found.finished_at) : null],
    ]),
  ];
  const supplement = found.supplement;
  if (supplement) {
    const items = supplement.items || [];
    parts.push(
      el(
        'section',
        { class: 'notice warning', id: 'lookup-supplement' },
        el('h3', {}, 'Cần bổ sung giấy tờ'),
        supplement.requested_at ? el('p', {}, `Yêu cầu lúc ${when(supplement.requested_at)}:`) : null,
        items.length ? el('ul', {}, items.map((item) => el('li', {}, String(item)))) : null,
        supplement.note || supplement.reason ? el('p', {}, supplement.note || supplement.reason) : null,
      ),
    );
  }
  const apology = found.apology;
  if (apology) {
    parts.push(
      el(
        'section',
        { class: 'notice warning', id: 'lookup-apology' },
        el('h3', {}, 'Thư xin lỗi và hẹn lại ngày trả kết quả'),
        apology.reason ? el('p', {}, apology.reason) : null,
        apology.new_appointment_date
          ? el('p', {}, `Ngày hẹn mới: ${day(apology.new_appointment_date)}`)
          : null,
      ),
    );
  }
  return parts;
}

async function verify(event) {
  event.preventDefault();
  const file = $('verify-file').files[0];
  const box = $('verify-result');
  box.hidden = false;
  if (!file) {
    box.replaceChildren(el('p', { class: 'notice error', role: 'alert' }, 'Hãy chọn một tệp PDF.'));
    return;
  }
  document.body.dataset.state = 'busy';
  try {
    const answer = await request('POST', '/api/verify', {
      body: file,
      contentType: 'application/pdf',
      anonymous: true,
    });
    box.replaceChildren(
      el(
        'p',
        { class: `notice ${answer.valid ? 'success' : 'error'}`, id: 'verify-verdict', role: 'status' },
        answer.valid ? 'Chữ ký số hợp lệ.' : 'Chữ ký số KHÔNG hợp lệ hoặc văn bản đã bị thay đổi.',
      ),
      facts([
        ['Người ký', answer.signed_by || null],
        ['Thời điểm ký', answer.signed_at ? when(answer.signed_at) : null],
        ['Chi tiết', answer.message || null],
      ]),
    );
  } catch (error) {
    const status = error instanceof ApiError ? error.status : 0;
    box.replaceChildren(
      el(
        'p',
        { class: 'notice error', role: 'alert' },
        status === 429
          ? tooMany(error)
          : status === 422 || status === 415
            ? 'Tệp đã chọn không phải là tệp PDF hợp lệ.'
            : status === 413
              ? 'Tệp quá lớn (tối đa 10 MB).'
              : error.message || String(error),
      ),
    );
  }
  document.body.dataset.state = 'ready';
}

$('lookup-form').addEventListener('submit', lookUp);
$('verify-form').addEventListener('submit', verify);

/** Fills the form from `#ma=<code>&khoa=<secret>` and looks up at once; whether it did. */
function fromFragment() {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  if (!fragment.get('ma') || !fragment.get('khoa')) return false;
  $('lookup-code').value = fragment.get('ma');
  $('lookup-secret').value = fragment.get('khoa');
  // The secret leaves the address bar (and the history) once read.
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  lookUp();
  return true;
}

window.addEventListener('hashchange', fromFragment);
if (!fromFragment()) document.body.dataset.state = 'ready';
