// Renders a task's form, a JSON Schema (draft 2020-12) as the platform's forms write it, as an
// HTML form, and reads the answers back as the JSON the API takes. No dependency on the
// designer: the officers' task pages will use it as it is.
//
// What it understands (every feature the forms under forms/ use):
// - types string, integer, number, boolean, object, array (a ["x", "null"] type takes x);
// - title (the label), description (the hint under it), default, const;
// - required, and conditional requirements `allOf: [{if, then: {required}}]`, re-evaluated as
//   the answers change (if: const, enum, required and properties of those);
// - enum with `x-enumNames` (the labels shown for each value): radio buttons up to four
//   values, a list above; an array of enum values with uniqueItems: checkboxes;
// - string: minLength, maxLength (over 255: a text area), pattern, format date, date-time,
//   time, email, uri; integer/number: minimum, maximum, exclusiveMinimum/Maximum, multipleOf;
// - array: minItems, maxItems, items (rows added and removed);
// - $ref to another form of the procedure (`motcua:forms/<key>`, optionally `#/pointer`) or
//   inside the form (`#/$defs/...`).
// UI hints: `x-enumNames`, and `x-widget: "textarea"` to force a text area.
// The browser's own constraint validation checks what HTML can express; the server validates
// every answer against the schema in full, so this is help, not the rule.

const DEFAULT_TEXT = {
  required: 'bắt buộc',
  choose: '— Chọn —',
  yes: 'Có',
  no: 'Không',
  add: 'Thêm',
  remove: 'Xóa',
  unsupported: 'Trường này có cấu trúc mà biểu mẫu chưa hiển thị được.',
  unresolved: 'Không tìm thấy biểu mẫu được tham chiếu',
};
const FORM_PREFIX = 'motcua:forms/';
const MAX_DEPTH = 32;

/**
 * @typedef {object} FormView
 * @property {HTMLFormElement} element the form (append it where it belongs)
 * @property {() => any} getValue the answers as JSON (empty optional fields left out)
 * @property {() => boolean} validate the browser's check of what the fields can express
 */

/**
 * Renders a JSON Schema as an HTML form.
 * @param {object} schema the form's JSON Schema
 * @param {object} [options]
 * @param {Record<string, object>} [options.forms] the procedure's forms by key, for $ref
 * @param {any} [options.value] answers to fill in
 * @param {string} [options.idPrefix] prefix of the element ids (unique per page)
 * @param {boolean} [options.readOnly] show answers without letting them change
 * @param {boolean} [options.showTitle] show the schema's title and description (default yes)
 * @param {Partial<typeof DEFAULT_TEXT>} [options.text] labels in another wording
 * @returns {FormView}
 */
export function renderForm(schema, options = {}) {
  const ctx = {
    forms: options.forms || {},
    prefix: options.idPrefix || 'form',
    readOnly: Boolean(options.readOnly),
    text: { ...DEFAULT_TEXT, ...(options.text || {}) },
    counter: 0,
  };
  const form = document.createElement('form');
  form.className = 'jsf-form';
  form.addEventListener('submit', (event) => event.preventDefault());
  const root = resolve(schema, schema, ctx);
  if (options.showTitle !== false) {
    if (root.schema.title) form.append(node('h3', 'jsf-title', root.schema.title));
    if (root.schema.description) {
      form.append(node('p', 'jsf-description', root.schema.description));
    }
  }
  const field = renderField(root.schema, root.base, ctx, {
    key: null,
    value: options.value,
    required: true,
    depth: 0,
    isRoot: true,
  });
  form.append(field.element);
  const refresh = () => field.refresh();
  form.addEventListener('input', refresh);
  form.addEventListener('change', refresh);
  refresh();
  const summary = node('ul', 'jsf-errors');
  summary.setAttribute('role', 'alert');
  summary.hidden = true;
  form.prepend(summary);
  return {
    element: form,
    getValue: () => {
      const value = field.read();
      return value === undefined && root.schema.type === 'object' ? {} : value;
    },
    validate: () => form.reportValidity(),
    showErrors: (errors) => showErrors(form, field, summary, errors, ctx),
    clearErrors: () => clearErrors(form, summary),
  };
}

// Server errors at their fields ///////////////////////////////////////////////////////////

const SERVER_MESSAGES = {
  'is required': 'Trường này là bắt buộc.',
};

function translateMessage(message) {
  return SERVER_MESSAGES[message] || message;
}

/** Splits an error's field path (`data.child.full_name`, `documents.0.name`,
 * `documents[0]`) into its segments, the leading `data` left out. */
export function errorPath(path) {
  const segments = String(path)
    .replace(/\[(\d+)\]/g, '.$1')
    .split(/[./]/)
    .filter((segment) => segment !== '');
  if (segments[0] === 'data') segments.shift();
  return segments;
}

function clearErrors(form, summary) {
  form.querySelectorAll('.jsf-error').forEach((element) => element.remove());
  form.querySelectorAll('.jsf-invalid').forEach((element) => element.classList.remove('jsf-invalid'));
  form.querySelectorAll('[aria-invalid]').forEach((element) => {
    element.removeAttribute('aria-invalid');
    const described = (element.getAttribute('aria-describedby') || '')
      .split(' ')
      .filter((id) => id && !id.endsWith('-error'));
    if (described.length) element.setAttribute('aria-describedby', described.join(' '));
    else element.removeAttribute('aria-describedby');
  });
  summary.replaceChildren();
  summary.hidden = true;
}

/**
 * Shows the server's field errors ({"data.<path>": [messages]}) at the fields they name;
 * errors no field matches are listed at the top of the form. Returns the first element
 * showing an error (to scroll to and focus), or null.
 */
function showErrors(form, root, summary, errors, ctx) {
  clearErrors(form, summary);
  let first = null;
  let count = 0;
  for (const [path, raw] of Object.entries(errors || {})) {
    const messages = (Array.isArray(raw) ? raw : [raw]).map((m) => translateMessage(String(m)));
    let field = root;
    let matched = 0;
    for (const segment of errorPath(path)) {
      const next = field.child ? field.child(segment) : null;
      if (!next) break;
      field = next;
      matched += 1;
    }
    if (field === root || matched < errorPath(path).length) {
      const item = node('li', 'jsf-error-item', `${path}: ${messages.join(' ')}`);
      summary.append(item);
      summary.hidden = false;
      if (field === root) {
        first = first || summary;
        continue;
      }
    }
    count += 1;
    const element = field.element;
    const id = `${ctx.prefix}-e${count}-error`;
    const message = node('p', 'jsf-error', messages.join(' '));
    message.id = id;
    element.classList.add('jsf-invalid');
    element.append(message);
    const inputs = element.matches('input, select, textarea')
      ? [element]
      : [...element.querySelectorAll('input, select, textarea')].slice(0, 1);
    for (const input of inputs) {
      input.setAttribute('aria-invalid', 'true');
      const described = input.getAttribute('aria-describedby');
      input.setAttribute('aria-describedby', described ? `${described} ${id}` : id);
    }
    first = first || element;
  }
  return first;
}

// Schema plumbing ////////////////////////////////////////////////////////////////////////

function resolve(schema, base, ctx, depth = 0) {
  if (schema === true || schema === undefined || schema === null) return { schema: {}, base };
  if (typeof schema !== 'object' || !schema.$ref || depth > MAX_DEPTH) return { schema, base };
  const { $ref, ...rest } = schema;
  const [address, pointer = ''] = $ref.split('#');
  let target = null;
  let targetBase = base;
  if (!address) {
    target = base;
  } else if (address.startsWith(FORM_PREFIX)) {
    target = ctx.forms[address.slice(FORM_PREFIX.length)] || null;
    targetBase = target;
  }
  if (target && pointer) target = followPointer(target, pointer);
  if (!target) {
    return {
      schema: { ...rest, 'x-unresolved': $ref },
      base,
    };
  }
  const { $id, $schema, ...content } = target;
  return resolve({ ...content, ...rest }, targetBase, ctx, depth + 1);
}

function followPointer(document, pointer) {
  let current = document;
  for (const raw of pointer.split('/').slice(1)) {
    const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object' || !(part in current)) return null;
    current = current[part];
  }
  return current;
}

function typeOf(schema) {
  let type = schema.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') || 'null';
  if (type) return type;
  if ('const' in schema) return typeof schema.const === 'boolean' ? 'boolean' : 'string';
  if (schema.enum) return 'string';
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  return undefined;
}

function equal(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether a value meets the simple schemas `if` uses (const, enum, required, properties). */
export function matches(schema, value) {
  if (schema === true || schema === undefined) return true;
  if (schema === false) return false;
  if ('const' in schema && !equal(schema.const, value)) return false;
  if (schema.enum && !schema.enum.some((option) => equal(option, value))) return false;
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (schema.required && (!isObject || schema.required.some((key) => !(key in value)))) {
    return false;
  }
  if (schema.properties && isObject) {
    for (const [key, sub] of Object.entries(schema.properties)) {
      if (key in value && !matches(sub, value[key])) return false;
    }
  }
  if (schema.allOf && !schema.allOf.every((sub) => matches(sub, value))) return false;
  if (schema.anyOf && !schema.anyOf.some((sub) => matches(sub, value))) return false;
  if (schema.not && matches(schema.not, value)) return false;
  return true;
}

// DOM helpers ////////////////////////////////////////////////////////////////////////////

function node(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined && text !== null) element.textContent = String(text);
  return element;
}

function nextId(ctx, key) {
  ctx.counter += 1;
  const safe = String(key ?? 'field').replace(/[^A-Za-z0-9_-]/g, '_');
  return `${ctx.prefix}-${safe}-${ctx.counter}`;
}

function labelFor(schema, key) {
  return schema.title || key || '';
}

function requiredMark(ctx) {
  const mark = node('span', 'jsf-required', '*');
  mark.title = ctx.text.required;
  mark.setAttribute('aria-hidden', 'true');
  return mark;
}

function describe(wrapper, schema, target, id) {
  if (!schema.description) return;
  const hint = node('small', 'jsf-hint', schema.description);
  hint.id = `${id}-hint`;
  wrapper.append(hint);
  if (target) target.setAttribute('aria-describedby', hint.id);
}

function enumLabels(schema) {
  const names = Array.isArray(schema['x-enumNames']) ? schema['x-enumNames'] : [];
  return schema.enum.map((value, index) => String(names[index] ?? value));
}

// Fields /////////////////////////////////////////////////////////////////////////////////
// Each returns {element, read(), refresh(), setRequired(bool)}.

function renderField(schema, base, ctx, where) {
  if (schema['x-unresolved']) {
    return staticField(`${ctx.text.unresolved}: ${schema['x-unresolved']}`, schema, where);
  }
  if (where.depth > MAX_DEPTH) return staticField(ctx.text.unsupported, schema, where);
  const type = typeOf(schema);
  if ('const' in schema && type !== 'boolean') return constField(schema, ctx, where);
  switch (type) {
    case 'object':
      return objectField(schema, base, ctx, where);
    case 'array':
      return arrayField(schema, base, ctx, where);
    case 'boolean':
      return booleanField(schema, ctx, where);
    case 'integer':
    case 'number':
      return schema.enum ? enumField(schema, ctx, where) : numberField(schema, type, ctx, where);
    case 'string':
      return schema.enum ? enumField(schema, ctx, where) : stringField(schema, ctx, where);
    default:
      return staticField(ctx.text.unsupported, schema, where);
  }
}

function leafWrapper(schema, ctx, where, id) {
  const wrapper = node('div', 'jsf-field');
  wrapper.dataset.key = where.key ?? '';
  const label = node('label', 'jsf-label', labelFor(schema, where.key));
  label.htmlFor = id;
  const mark = requiredMark(ctx);
  label.append(mark);
  wrapper.append(label);
  return { wrapper, mark };
}

function staticField(message, schema, where) {
  const wrapper = node('div', 'jsf-field jsf-unsupported');
  if (schema.title || where.key) wrapper.append(node('span', 'jsf-label', labelFor(schema, where.key)));
  wrapper.append(node('small', 'jsf-hint', message));
  return { element: wrapper, read: () => undefined, refresh() {}, setRequired() {} };
}

function constField(schema, ctx, where) {
  const id = nextId(ctx, where.key);
  const { wrapper, mark } = leafWrapper(schema, ctx, where, id);
  const input = node('input', 'jsf-input');
  input.id = id;
  input.readOnly = true;
  input.value = String(schema.const);
  wrapper.append(input);
  describe(wrapper, schema, input, id);
  mark.hidden = true;
  return { element: wrapper, read: () => schema.const, refresh() {}, setRequired() {} };
}

function stringField(schema, ctx, where) {
  const id = nextId(ctx, where.key);
  const { wrapper, mark } = leafWrapper(schema, ctx, where, id);
  const long = schema['x-widget'] === 'textarea' || (schema.maxLength ?? 0) > 255;
  const input = node(long ? 'textarea' : 'input', 'jsf-input');
  input.id = id;
  input.name = where.key ?? id;
  if (!long) {
    input.type = { date: 'date', 'date-time': 'datetime-local', time: 'time', email: 'email', uri: 'url' }[
      schema.format
    ] || 'text';
    // HTML anchors a pattern at both ends; JSON Schema searches. Only an anchored pattern
    // means the same in both.
    const anchored = /^\^(.*[^\\])\$$/.exec(schema.pattern || '');
    if (anchored) {
      input.pattern = anchored[1];
      input.title = schema.description || schema.title || '';
    }
  } else {
    input.rows = 3;
  }
  if (schema.minLength) input.minLength = schema.minLength;
  if (schema.maxLength) input.maxLength = schema.maxLength;
  const initial = where.value ?? schema.default;
  if (initial !== undefined && initial !== null) {
    input.value = schema.format === 'date-time' ? toLocalInput(String(initial)) : String(initial);
  }
  input.readOnly = ctx.readOnly;
  wrapper.append(input);
  describe(wrapper, schema, input, id);
  return leafField(wrapper, [input], mark, ctx, where, () => {
    if (input.value === '') return undefined;
    return schema.format === 'date-time' ? fromLocalInput(input.value) : input.value;
  });
}

function numberField(schema, type, ctx, where) {
  const id = nextId(ctx, where.key);
  const { wrapper, mark } = leafWrapper(schema, ctx, where, id);
  const input = node('input', 'jsf-input');
  input.id = id;
  input.name = where.key ?? id;
  input.type = 'number';
  input.inputMode = type === 'integer' ? 'numeric' : 'decimal';
  input.step = schema.multipleOf ? String(schema.multipleOf) : type === 'integer' ? '1' : 'any';
  if (schema.minimum !== undefined) input.min = String(schema.minimum);
  if (schema.maximum !== undefined) input.max = String(schema.maximum);
  if (schema.exclusiveMinimum !== undefined) {
    input.min = String(schema.exclusiveMinimum + (type === 'integer' ? 1 : Number.EPSILON));
  }
  if (schema.exclusiveMaximum !== undefined) {
    input.max = String(schema.exclusiveMaximum - (type === 'integer' ? 1 : Number.EPSILON));
  }
  const initial = where.value ?? schema.default;
  if (initial !== undefined && initial !== null) input.value = String(initial);
  input.readOnly = ctx.readOnly;
  wrapper.append(input);
  describe(wrapper, schema, input, id);
  return leafField(wrapper, [input], mark, ctx, where, () => {
    if (input.value === '') return undefined;
    const number = Number(input.value);
    return Number.isFinite(number) ? number : input.value;
  });
}

/** Radio buttons (a few choices) or a drop-down list, showing x-enumNames. */
function enumField(schema, ctx, where) {
  const labels = enumLabels(schema);
  const initial = where.value ?? schema.default;
  const chosen = schema.enum.findIndex((option) => equal(option, initial));
  if (schema.enum.length <= 4) {
    return choiceField(schema, ctx, where, labels, schema.enum, chosen);
  }
  const id = nextId(ctx, where.key);
  const { wrapper, mark } = leafWrapper(schema, ctx, where, id);
  const select = node('select', 'jsf-input');
  select.id = id;
  select.name = where.key ?? id;
  select.append(new Option(ctx.text.choose, ''));
  labels.forEach((label, index) => select.append(new Option(label, String(index))));
  if (chosen >= 0) select.value = String(chosen);
  select.disabled = ctx.readOnly;
  wrapper.append(select);
  describe(wrapper, schema, select, id);
  return leafField(wrapper, [select], mark, ctx, where, () =>
    select.value === '' ? undefined : schema.enum[Number(select.value)],
  );
}

/** A group of radio buttons, one per value. */
function choiceField(schema, ctx, where, labels, values, chosen) {
  const id = nextId(ctx, where.key);
  const fieldset = node('fieldset', 'jsf-field jsf-choice');
  fieldset.dataset.key = where.key ?? '';
  const legend = node('legend', 'jsf-label', labelFor(schema, where.key));
  const mark = requiredMark(ctx);
  legend.append(mark);
  fieldset.append(legend);
  const inputs = values.map((value, index) => {
    const option = node('label', 'jsf-option');
    const input = node('input');
    input.type = 'radio';
    input.name = id;
    input.id = `${id}-${index}`;
    input.value = String(index);
    input.checked = index === chosen;
    input.disabled = ctx.readOnly;
    option.append(input, document.createTextNode(` ${labels[index]}`));
    fieldset.append(option);
    return input;
  });
  describe(fieldset, schema, fieldset, id);
  return leafField(fieldset, inputs, mark, ctx, where, () => {
    const checked = inputs.find((input) => input.checked);
    return checked ? values[Number(checked.value)] : undefined;
  });
}

/** A field of one value read from its inputs; required follows the schema's requirements
 * (re-evaluated as answers change), never in a read-only form. */
function leafField(element, inputs, mark, ctx, where, read) {
  const field = {
    element,
    read,
    refresh() {},
    setRequired(required) {
      inputs.forEach((input) => {
        input.required = required && !ctx.readOnly;
      });
      mark.hidden = !required;
    },
  };
  field.setRequired(where.required);
  return field;
}

function booleanField(schema, ctx, where) {
  if (schema.const === true) {
    // A confirmation ("Đã ký số…"): one box that must be ticked.
    const id = nextId(ctx, where.key);
    const wrapper = node('div', 'jsf-field jsf-confirm');
    wrapper.dataset.key = where.key ?? '';
    const label = node('label', 'jsf-option');
    const input = node('input');
    input.type = 'checkbox';
    input.id = id;
    input.checked = where.value === true;
    input.disabled = ctx.readOnly;
    const mark = requiredMark(ctx);
    label.append(input, document.createTextNode(` ${labelFor(schema, where.key)}`), mark);
    wrapper.append(label);
    describe(wrapper, schema, input, id);
    return leafField(wrapper, [input], mark, ctx, where, () => (input.checked ? true : undefined));
  }
  const initial = where.value ?? schema.default;
  const chosen = initial === true ? 0 : initial === false ? 1 : -1;
  return choiceField(schema, ctx, where, [ctx.text.yes, ctx.text.no], [true, false], chosen);
}

function objectField(schema, base, ctx, where) {
  const container = where.isRoot ? node('div', 'jsf-object jsf-root') : node('fieldset', 'jsf-object');
  container.dataset.key = where.key ?? '';
  let mark = null;
  if (!where.isRoot) {
    const legend = node('legend', 'jsf-label', labelFor(schema, where.key));
    mark = requiredMark(ctx);
    legend.append(mark);
    container.append(legend);
    describe(container, schema, container, nextId(ctx, where.key));
  }
  const value = where.value && typeof where.value === 'object' ? where.value : {};
  const required = new Set(schema.required || []);
  const rules = (schema.allOf || []).filter((rule) => rule && rule.if && rule.then);
  const children = new Map();
  for (const [key, raw] of Object.entries(schema.properties || {})) {
    const child = resolve(raw, base, ctx);
    const field = renderField(child.schema, child.base, ctx, {
      key,
      value: value[key],
      required: required.has(key),
      depth: where.depth + 1,
    });
    children.set(key, field);
    container.append(field.element);
  }
  let isRequired = where.required;
  const read = () => {
    const result = {};
    let given = false; // anything beyond the schema's defaults
    for (const [key, field] of children) {
      const answer = field.read();
      if (answer === undefined) continue;
      result[key] = answer;
      const fallback = resolve(schema.properties[key], base, ctx).schema.default;
      if (!equal(answer, fallback)) given = true;
    }
    // An optional part holding only its defaults (the father's nationality) was not given.
    if (where.isRoot || (Object.keys(result).length && (given || isRequired))) return result;
    return undefined;
  };
  return {
    element: container,
    read,
    child: (key) => children.get(key) || null,
    refresh() {
      // An optional part left empty (the father, when unknown) asks for nothing inside it.
      const now = read();
      const active = where.isRoot || isRequired || now !== undefined;
      const needed = new Set(active ? required : []);
      for (const rule of active ? rules : []) {
        const branch = matches(rule.if, now || {}) ? rule.then : rule.else;
        (branch?.required || []).forEach((key) => needed.add(key));
      }
      for (const [key, field] of children) {
        field.setRequired(needed.has(key));
        field.refresh();
      }
    },
    setRequired(required) {
      isRequired = required;
      if (mark) mark.hidden = !required;
    },
  };
}

function arrayField(schema, base, ctx, where) {
  const items = resolve(schema.items || {}, base, ctx);
  const itemSchema = items.schema;
  if (itemSchema.enum && schema.uniqueItems) return multiChoiceField(schema, itemSchema, ctx, where);

  const fieldset = node('fieldset', 'jsf-field jsf-array');
  fieldset.dataset.key = where.key ?? '';
  const legend = node('legend', 'jsf-label', labelFor(schema, where.key));
  const mark = requiredMark(ctx);
  legend.append(mark);
  fieldset.append(legend);
  describe(fieldset, schema, fieldset, nextId(ctx, where.key));
  const list = node('ol', 'jsf-rows');
  fieldset.append(list);
  const noun = itemSchema.title ? itemSchema.title[0].toLocaleLowerCase('vi') + itemSchema.title.slice(1) : '';
  const add = node('button', 'jsf-add', `${ctx.text.add} ${noun}`.trim());
  add.type = 'button';
  add.hidden = ctx.readOnly;
  fieldset.append(add);

  const rows = [];
  let isRequired = where.required;
  const max = schema.maxItems ?? Infinity;
  const min = schema.minItems ?? 0;
  const update = () => {
    add.disabled = rows.length >= max;
    rows.forEach((row, index) => {
      row.remove.disabled = isRequired && rows.length <= Math.max(min, 1) && index === 0;
      row.field.setRequired(isRequired || row.field.read() !== undefined);
    });
  };
  const addRow = (value) => {
    const item = node('li', 'jsf-row');
    const field = renderField(itemSchema, items.base, ctx, {
      key: `${where.key ?? 'item'}-${rows.length + 1}`,
      value,
      required: isRequired,
      depth: where.depth + 1,
    });
    const remove = node('button', 'jsf-remove', ctx.text.remove);
    remove.type = 'button';
    remove.hidden = ctx.readOnly;
    const row = { item, field, remove };
    remove.addEventListener('click', () => {
      rows.splice(rows.indexOf(row), 1);
      item.remove();
      update();
    });
    item.append(field.element, remove);
    list.append(item);
    rows.push(row);
    update();
  };
  add.addEventListener('click', () => addRow(undefined));
  const initial = Array.isArray(where.value) ? where.value : Array.isArray(schema.default) ? schema.default : [];
  initial.forEach((value) => addRow(value));
  while (rows.length < Math.max(min, initial.length ? 0 : 1) && rows.length < max) addRow(undefined);

  return {
    element: fieldset,
    child: (index) => (/^\d+$/.test(index) ? rows[Number(index)]?.field || null : null),
    read() {
      const values = rows.map((row) => row.field.read()).filter((value) => value !== undefined);
      return values.length ? values : undefined;
    },
    refresh() {
      rows.forEach((row) => row.field.refresh());
      update();
    },
    setRequired(required) {
      isRequired = required;
      mark.hidden = !required;
      update();
    },
  };
}

/** An array of distinct enum values: one checkbox per value. */
function multiChoiceField(schema, itemSchema, ctx, where) {
  const id = nextId(ctx, where.key);
  const fieldset = node('fieldset', 'jsf-field jsf-choice');
  fieldset.dataset.key = where.key ?? '';
  const legend = node('legend', 'jsf-label', labelFor(schema, where.key));
  const mark = requiredMark(ctx);
  legend.append(mark);
  fieldset.append(legend);
  const labels = enumLabels(itemSchema);
  const chosen = Array.isArray(where.value) ? where.value : [];
  const boxes = itemSchema.enum.map((value, index) => {
    const option = node('label', 'jsf-option');
    const input = node('input');
    input.type = 'checkbox';
    input.id = `${id}-${index}`;
    input.checked = chosen.some((c) => equal(c, value));
    input.disabled = ctx.readOnly;
    option.append(input, document.createTextNode(` ${labels[index]}`));
    fieldset.append(option);
    return input;
  });
  describe(fieldset, schema, fieldset, id);
  let isRequired = where.required;
  const read = () => {
    const values = itemSchema.enum.filter((_, index) => boxes[index].checked);
    return values.length ? values : undefined;
  };
  const check = () => {
    const count = boxes.filter((box) => box.checked).length;
    const tooFew = (isRequired || count) && count < (schema.minItems ?? (isRequired ? 1 : 0));
    const tooMany = count > (schema.maxItems ?? Infinity);
    boxes[0]?.setCustomValidity(
      tooFew ? `Chọn ít nhất ${schema.minItems ?? 1}.` : tooMany ? `Chọn nhiều nhất ${schema.maxItems}.` : '',
    );
  };
  return {
    element: fieldset,
    read,
    refresh: check,
    setRequired(required) {
      isRequired = required;
      mark.hidden = !required;
      check();
    },
  };
}

// date-time fields: the input shows local time; the answer carries the offset.

function pad(number) {
  return String(number).padStart(2, '0');
}

/** Returns an ISO 8601 date-time with the browser's UTC offset for a datetime-local value. */
export function fromLocalInput(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const hours = pad(Math.floor(Math.abs(offset) / 60));
  const minutes = pad(Math.abs(offset) % 60);
  const seconds = pad(date.getSeconds());
  return `${value.slice(0, 16)}:${seconds}${sign}${hours}:${minutes}`;
}

/** Returns a datetime-local value (local time, minutes) for an ISO 8601 date-time. */
export function toLocalInput(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}
