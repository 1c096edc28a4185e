// The platform's JSON API as the page uses it: one bearer token kept in sessionStorage, and
// every failure turned into an ApiError whose message an officer can read (in Vietnamese,
// with the server's own message after it).

const TOKEN_KEY = 'motcua.token';

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  /**
   * @param {number} status the HTTP status (0: the server could not be reached)
   * @param {any} body the error answer ({code, status, message, errors}) when there was one
   * @param {string} message what to show
   */
  constructor(status, body, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }

  /** The answer's field errors: {field or element id: [messages]}. */
  get errors() {
    return (this.body && typeof this.body === 'object' && this.body.errors) || {};
  }
}

const STATUS_TEXT = {
  400: 'Yêu cầu không hợp lệ.',
  401: 'Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi.',
  403: 'Bạn không có quyền thực hiện việc này.',
  404: 'Không tìm thấy.',
  409: 'Dữ liệu vừa bị một thao tác khác thay đổi; hãy thử lại.',
  413: 'Dữ liệu gửi lên quá lớn.',
  415: 'Máy chủ không nhận kiểu dữ liệu này.',
  422: 'Dữ liệu gửi lên không hợp lệ.',
  429: 'Quá nhiều yêu cầu; hãy thử lại sau ít phút.',
  500: 'Máy chủ gặp lỗi ngoài dự kiến.',
  503: 'Máy chủ đang bận hoặc đang bảo trì; hãy thử lại sau ít phút.',
};

/** Returns what to tell an officer about an error answer. */
export function describeError(status, body) {
  const base = STATUS_TEXT[status] || `Máy chủ trả lỗi ${status}.`;
  const server = body && typeof body === 'object' && typeof body.message === 'string'
    ? body.message
    : '';
  return server ? `${base} Máy chủ cho biết: “${server}”.` : base;
}

/**
 * Sends one request; returns the parsed JSON (or text for XML) answer.
 * @param {string} method
 * @param {string} path
 * @param {{json?: any, accept?: string, signal?: AbortSignal}} [options]
 */
export async function request(method, path, options = {}) {
  const headers = { Accept: options.accept || 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, cache: 'no-store', credentials: 'omit', signal: options.signal };
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.json);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error && error.name === 'AbortError') throw error;
    throw new ApiError(0, null, 'Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại.');
  }
  const type = response.headers.get('Content-Type') || '';
  let body = null;
  if (type.includes('json')) {
    body = await response.json().catch(() => null);
  } else {
    body = await response.text().catch(() => '');
  }
  if (!response.ok) {
    throw new ApiError(response.status, body, describeError(response.status, body));
  }
  return body;
}

export const api = {
  procedures: () => request('GET', '/api/procedures'),
  versions: (code) => request('GET', `/api/procedures/${encodeURIComponent(code)}/versions`),
  diagram: (code, version) =>
    request('GET', `/api/procedures/${encodeURIComponent(code)}/versions/${version}/bpmn`, {
      accept: 'application/xml',
    }),
  forms: (code, version) =>
    request('GET', `/api/procedures/${encodeURIComponent(code)}/versions/${version}/forms`),
  check: (code, bpmn, signal) =>
    request('POST', '/api/procedures/check', { json: { bpmn, procedure: code }, signal }),
  deploy: (code, body) =>
    request('POST', `/api/procedures/${encodeURIComponent(code)}/versions`, { json: body }),
};
