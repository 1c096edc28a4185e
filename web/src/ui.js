// Small DOM and wording helpers shared by the officers' pages and the public lookup page:
// elements built with textContent only (nothing from the server is ever parsed as HTML),
// dates in Vietnam's time, and the words officers use for statuses, flags and events.

/** Returns a new element: el('a', {href: '/', class: 'x'}, 'text', child…). */
export function el(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'text') element.textContent = value;
    else if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name in element && typeof value !== 'string') element[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const TIMEZONE = 'Asia/Ho_Chi_Minh';
const dateTimeFormat = new Intl.DateTimeFormat('vi-VN', {
  timeZone: TIMEZONE,
  hour: '2-digit',
  minute: '2-digit',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
});
const dateFormat = new Intl.DateTimeFormat('vi-VN', {
  timeZone: TIMEZONE,
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
});

/** "08:30 30/11/2026" for an ISO date-time; '—' when missing. */
export function when(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dateTimeFormat.format(date);
}

/** "30/11/2026" for an ISO date (YYYY-MM-DD) or date-time. */
export function day(iso) {
  if (!iso) return '—';
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (match) return `${match[3]}/${match[2]}/${match[1]}`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dateFormat.format(date);
}

/** A due-date flag: text and colour (class), never colour alone. */
export function flag(item) {
  if (item.overdue) return el('span', { class: 'flag flag-overdue' }, 'Quá hạn');
  if (item.due_soon) return el('span', { class: 'flag flag-soon' }, 'Sắp đến hạn');
  if (item.state === 'completed' || item.finished_at) return el('span', { class: 'flag' }, '—');
  return el('span', { class: 'flag flag-ok' }, 'Trong hạn');
}

export const TASK_STATES = {
  open: 'Chưa có người nhận',
  claimed: 'Đang xử lý',
  completed: 'Đã hoàn thành',
  cancelled: 'Đã hủy',
};

export const OUTCOMES = { early: 'Trước hạn', on_time: 'Đúng hạn', late: 'Trễ hạn' };

export const CHANNELS = { 1: 'Trực tiếp', 2: 'Trực tuyến', 3: 'Qua bưu chính' };

export const ROLES = {
  tiep_nhan: 'Tiếp nhận',
  tham_dinh: 'Thẩm định',
  lanh_dao: 'Lãnh đạo',
  van_thu: 'Văn thư',
  quan_tri: 'Quản trị',
  thiet_ke: 'Thiết kế quy trình',
};

export const ACTIONS = {
  submitted: 'Tiếp nhận hồ sơ',
  claimed: 'Nhận việc',
  released: 'Trả lại việc',
  assigned: 'Giao việc',
  completed: 'Hoàn thành bước',
  handed_over: 'Chuyển hồ sơ liên thông',
  taken_over: 'Nhận hồ sơ liên thông',
  message_received: 'Nhận thông tin liên thông',
  result_reported: 'Cơ quan liên thông báo kết quả',
  apologized: 'Xin lỗi, hẹn lại ngày trả',
  supplement_requested: 'Yêu cầu bổ sung',
  supplement_received: 'Đã nhận giấy tờ bổ sung',
  stopped: 'Dừng xử lý',
  timer_fired: 'Hết thời gian chờ',
  timer_failed: 'Lỗi hẹn giờ',
  document_issued: 'Phát hành văn bản kết quả',
};

export function statusText(status) {
  if (!status) return '—';
  return typeof status === 'object' ? `${status.label} (${status.code})` : String(status);
}

/** Vietnamese for the server's field messages we know; the rest as they are. */
export function fieldMessage(message) {
  return message === 'is required' ? 'Trường này là bắt buộc.' : String(message);
}

/** A definition list from [label, value] pairs (null values skipped). */
export function facts(pairs) {
  const list = el('dl', { class: 'facts' });
  for (const [label, value] of pairs) {
    if (value === undefined || value === null || value === '') continue;
    list.append(el('dt', {}, label), el('dd', {}, value));
  }
  return list;
}
