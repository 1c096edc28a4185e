// The side panel: what the selected element is, and for a user task its role (the lane it
// sits in), its step budget, its form and the dossier status while it is open. Every edit is
// a bpmn-js command (undo works, the check runs again after it).

import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

import { getProperty, laneOf, lanesFor, moveToLane, setProperty } from './extensions.js';

const KIND_TEXT = [
  ['bpmn:UserTask', 'Công việc của cán bộ'],
  ['bpmn:ScriptTask', 'Công việc tự động (kịch bản)'],
  ['bpmn:ServiceTask', 'Công việc tự động (dịch vụ)'],
  ['bpmn:CallActivity', 'Gọi quy trình khác'],
  ['bpmn:SubProcess', 'Quy trình con'],
  ['bpmn:Task', 'Công việc'],
  ['bpmn:StartEvent', 'Sự kiện bắt đầu'],
  ['bpmn:EndEvent', 'Sự kiện kết thúc'],
  ['bpmn:BoundaryEvent', 'Sự kiện biên'],
  ['bpmn:IntermediateCatchEvent', 'Sự kiện chờ'],
  ['bpmn:IntermediateThrowEvent', 'Sự kiện phát'],
  ['bpmn:ExclusiveGateway', 'Cổng rẽ nhánh (chọn một)'],
  ['bpmn:InclusiveGateway', 'Cổng rẽ nhánh (chọn nhiều)'],
  ['bpmn:ParallelGateway', 'Cổng song song'],
  ['bpmn:EventBasedGateway', 'Cổng theo sự kiện'],
  ['bpmn:SequenceFlow', 'Luồng'],
  ['bpmn:MessageFlow', 'Luồng thông điệp'],
  ['bpmn:Lane', 'Làn (vai trò)'],
  ['bpmn:Participant', 'Bể (cơ quan)'],
  ['bpmn:Process', 'Quy trình'],
  ['bpmn:Collaboration', 'Sơ đồ liên thông'],
  ['bpmn:TextAnnotation', 'Ghi chú'],
];

function kindOf(element) {
  const found = KIND_TEXT.find(([type]) => is(element, type));
  return found ? found[1] : getBusinessObject(element).$type.replace('bpmn:', '');
}

function node(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined && text !== null) element.textContent = String(text);
  return element;
}

function row(labelText, control, hintText) {
  const wrapper = node('div', 'field');
  const label = node('label', null, labelText);
  label.htmlFor = control.id;
  wrapper.append(label, control);
  if (hintText) {
    const hint = node('small', 'hint', hintText);
    hint.id = `${control.id}-hint`;
    control.setAttribute('aria-describedby', hint.id);
    wrapper.append(hint);
  }
  return wrapper;
}

/** A decimal as officers type it (0,5 or 0.5) in the form the platform reads (0.5). */
export function normalizeDecimal(text) {
  return text.trim().replace(/\s+/g, '').replace(',', '.');
}

export class PropertiesPanel {
  /**
   * @param {any} modeler the bpmn-js Modeler
   * @param {HTMLElement} body where the panel's content goes
   * @param {{forms: () => string[], findingsOf: (id: string) => any[],
   *          preview: (formKey: string) => void}} hooks
   */
  constructor(modeler, body, hooks) {
    this.modeler = modeler;
    this.body = body;
    this.hooks = hooks;
    this.element = null;
    modeler.on('selection.changed', ({ newSelection }) => {
      this.show(newSelection.length === 1 ? newSelection[0] : null);
    });
    modeler.on('elements.changed', ({ elements }) => {
      if (this.element && elements.some((changed) => changed.id === this.element.id)) {
        this.render();
      }
    });
  }

  show(element) {
    this.element = element;
    this.render();
  }

  /** Draws the panel again (after a change, or new findings). */
  render() {
    const element = this.element && this.modeler.get('elementRegistry').get(this.element.id);
    this.element = element || null;
    if (!element || element.type === 'label') {
      this.body.replaceChildren(
        node('p', 'hint', 'Chọn một phần tử trên sơ đồ để xem và sửa thuộc tính.'),
      );
      return;
    }
    // Keep focus and caret where the officer was typing when the panel redraws.
    const focused = document.activeElement?.id;
    const businessObject = getBusinessObject(element);
    const parts = [];
    const heading = node('p', 'element-kind', kindOf(element));
    const id = node('code', 'element-id', element.id);
    heading.append(' ', id);
    parts.push(heading);
    parts.push(this.nameField(element, businessObject));

    if (is(element, 'bpmn:UserTask')) {
      parts.push(this.roleField(element));
      parts.push(this.budgetField(element));
      parts.push(this.formField(element));
      parts.push(this.statusField(element));
    } else if (is(element, 'bpmn:EndEvent')) {
      parts.push(this.statusField(element));
    }
    const findings = this.hooks.findingsOf(element.id);
    if (findings.length) {
      const list = node('ul', 'element-findings');
      for (const finding of findings) {
        list.append(node('li', finding.severity, finding.message));
      }
      parts.push(node('h3', null, 'Lỗi và cảnh báo của phần tử'), list);
    }
    this.body.replaceChildren(...parts);
    if (focused) document.getElementById(focused)?.focus();
  }

  nameField(element, businessObject) {
    const input = node('input');
    input.id = 'prop-name';
    input.value = businessObject.name || '';
    input.addEventListener('change', () => {
      const name = input.value.trim();
      if (name !== (businessObject.name || '')) {
        this.modeler.get('modeling').updateLabel(element, name || null);
      }
    });
    return row('Tên', input);
  }

  roleField(element) {
    const select = node('select');
    select.id = 'prop-role';
    const lanes = lanesFor(this.modeler, element);
    const current = laneOf(this.modeler, element);
    if (!lanes.length) {
      select.append(new Option('(bể này chưa chia làn)', ''));
      select.disabled = true;
    }
    for (const lane of lanes) {
      select.append(new Option(lane.businessObject.name || `(làn chưa đặt tên: ${lane.id})`, lane.id));
    }
    if (current) select.value = current.id;
    select.addEventListener('change', () => {
      const lane = this.modeler.get('elementRegistry').get(select.value);
      if (lane) moveToLane(this.modeler, element, lane);
    });
    return row(
      'Vai trò',
      select,
      'Vai trò là làn chứa công việc; chọn làn khác để chuyển công việc sang làn đó.',
    );
  }

  budgetField(element) {
    const input = node('input');
    input.id = 'prop-budget';
    input.inputMode = 'decimal';
    input.autocomplete = 'off';
    input.placeholder = 'ví dụ 0,5';
    input.value = getProperty(element, 'budget_days') ?? '';
    const apply = () => {
      const value = normalizeDecimal(input.value);
      if (value !== (getProperty(element, 'budget_days') ?? '')) {
        setProperty(this.modeler, element, 'budget_days', value);
      }
    };
    input.addEventListener('change', apply);
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        apply();
      }
    });
    return row(
      'Thời hạn bước (ngày làm việc)',
      input,
      'Số ngày làm việc dành cho bước này, có thể lẻ (0,5 là nửa ngày).',
    );
  }

  formField(element) {
    const wrapper = node('div', 'field');
    const select = node('select');
    select.id = 'prop-form';
    const current = getProperty(element, 'form_key') ?? '';
    const keys = this.hooks.forms();
    select.append(new Option('— Không có biểu mẫu —', ''));
    for (const key of keys) select.append(new Option(key, key));
    if (current && !keys.includes(current)) {
      select.append(new Option(`${current} (không có trong phiên bản này)`, current));
    }
    select.value = current;
    select.addEventListener('change', () => {
      setProperty(this.modeler, element, 'form_key', select.value);
    });
    const label = node('label', null, 'Biểu mẫu');
    label.htmlFor = select.id;
    const preview = node('button', null, 'Xem trước biểu mẫu');
    preview.type = 'button';
    preview.id = 'prop-form-preview';
    preview.disabled = !current || !keys.includes(current);
    preview.addEventListener('click', () => this.hooks.preview(current));
    wrapper.append(label, select, preview);
    return wrapper;
  }

  statusField(element) {
    const input = node('input');
    input.id = 'prop-status';
    input.inputMode = 'numeric';
    input.autocomplete = 'off';
    input.value = getProperty(element, 'dossier_status') ?? '';
    input.addEventListener('change', () => {
      const value = input.value.trim();
      if (value !== (getProperty(element, 'dossier_status') ?? '')) {
        setProperty(this.modeler, element, 'dossier_status', value);
      }
    });
    const hint = is(element, 'bpmn:EndEvent')
      ? 'Mã trạng thái hồ sơ khi quy trình kết thúc tại đây.'
      : 'Mã trạng thái hồ sơ (theo danh mục quốc gia) khi đang ở bước này.';
    return row('Trạng thái hồ sơ', input, hint);
  }
}
