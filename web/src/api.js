// The platform's JSON API as the pages use it: the officer's session (the HttpOnly cookie
// `motcua_session` set by POST /api/session, and its CSRF token, sent back as X-CSRF-Token on
// every request that changes something), or, as the designer's fallback, a bearer token kept
// in sessionStorage; every failure turned into an ApiError whose message an officer can read
// (in Vietnamese, with the server's own message after it).

const TOKEN_KEY = 'motcua.token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// The session's CSRF token: in memory only (GET /api/session gives it again after a reload).
let csrfToken = '';

export function setCsrfToken(token) {
  csrfToken = token || '';
}

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
  401: 'Phiên đăng nhập hoặc mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi.',
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
 * @param {{json?: any, body?: BodyInit, contentType?: string, anonymous?: boolean, accept?: string,
 *   signal?: AbortSignal}} [options]
 */
export async function request(method, path, options = {}) {
  const headers = { Accept: options.accept || 'application/json' };
  // anonymous: the public pages' requests, with neither the session's cookie nor a token.
  const token = options.anonymous ? '' : getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (csrfToken && !options.anonymous && !SAFE_METHODS.has(method)) headers['X-CSRF-Token'] = csrfToken;
  const credentials = options.anonymous ? 'omit' : 'same-origin';
  const init = { method, headers, cache: 'no-store', credentials, signal: options.signal };
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.json);
  } else if (options.body !== undefined) {
    headers['Content-Type'] = options.contentType || 'application/octet-stream';
    init.body = options.body;
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
    const error = new ApiError(response.status, body, describeError(response.status, body));
    error.retryAfter = Number(response.headers.get('Retry-After')) || 0;
    throw error;
  }
  return body;
}

/** The signed-in officer ({officer, csrf_token}), or null when there is no session. */
export async function currentSession() {
  try {
    const session = await request('GET', '/api/session');
    setCsrfToken(session && session.csrf_token);
    return session;
  } catch (error) {
    if (error.status === 401 || error.status === 404 || error.status === 405) return null;
    throw error;
  }
}

/** Signs in; returns {officer, csrf_token}. */
export async function signIn(username, password) {
  const session = await request('POST', '/api/session', { json: { username, password } });
  setCsrfToken(session && session.csrf_token);
  return session;
}

/** Ends the session (the cookie is cleared by the server). */
export async function signOut() {
  try {
    await request('DELETE', '/api/session');
  } finally {
    setCsrfToken('');
  }
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
