// What a diagram says beyond plain BPMN, read and changed through bpmn-js so that every change
// is one undoable command: a task's `spiffworkflow:property` entries (form_key, budget_days,
// dossier_status) and the lane (role) a task sits in.
//
// Authoring contract (docs/architecture.md): a user task's form and budget are
//   <bpmn:extensionElements><spiffworkflow:properties>
//     <spiffworkflow:property name="budget_days" value="0.5" /> …
// and its role is the name of the lane it sits in.

import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

export const PROPERTIES = 'spiffworkflow:Properties';
export const PROPERTY = 'spiffworkflow:Property';

function propertiesOf(businessObject) {
  const values = businessObject.extensionElements?.values || [];
  return values.find((value) => is(value, PROPERTIES)) || null;
}

/** Returns the value of a spiffworkflow property of an element, or undefined. */
export function getProperty(element, name) {
  const container = propertiesOf(getBusinessObject(element));
  const found = container?.properties?.find((property) => property.name === name);
  return found ? found.value : undefined;
}

/**
 * One command: sets (or with '' / null removes) a spiffworkflow property of an element,
 * creating or dropping the extensionElements and properties containers as needed. Built from
 * modeling.updateModdleProperties in preExecute, so undo reverts it in one step.
 */
class SetPropertyHandler {
  static $inject = ['modeling', 'moddle'];

  constructor(modeling, moddle) {
    this.modeling = modeling;
    this.moddle = moddle;
  }

  preExecute({ element, name, value }) {
    const { modeling, moddle } = this;
    const businessObject = getBusinessObject(element);
    const remove = value === null || value === undefined || value === '';
    let extensions = businessObject.extensionElements;
    let container = propertiesOf(businessObject);
    const existing = container?.properties?.find((property) => property.name === name);

    if (remove) {
      if (!existing) return;
      const kept = container.properties.filter((property) => property !== existing);
      if (kept.length) {
        modeling.updateModdleProperties(element, container, { properties: kept });
        return;
      }
      const others = extensions.values.filter((entry) => entry !== container);
      if (others.length) {
        modeling.updateModdleProperties(element, extensions, { values: others });
      } else {
        modeling.updateModdleProperties(element, businessObject, { extensionElements: undefined });
      }
      return;
    }

    if (existing) {
      modeling.updateModdleProperties(element, existing, { value: String(value) });
      return;
    }
    const property = moddle.create(PROPERTY, { name, value: String(value) });
    if (!extensions) {
      extensions = moddle.create('bpmn:ExtensionElements', { values: [] });
      extensions.$parent = businessObject;
      modeling.updateModdleProperties(element, businessObject, { extensionElements: extensions });
    }
    if (!container) {
      container = moddle.create(PROPERTIES, { properties: [] });
      container.$parent = extensions;
      modeling.updateModdleProperties(element, extensions, {
        values: [...(extensions.values || []), container],
      });
    }
    property.$parent = container;
    modeling.updateModdleProperties(element, container, {
      properties: [...(container.properties || []), property],
    });
  }
}

export const SET_PROPERTY = 'motcua.property.set';

/** A bpmn-js module that registers the property command. */
export const propertiesModule = {
  __init__: [
    [
      'commandStack',
      (commandStack) => commandStack.registerHandler(SET_PROPERTY, SetPropertyHandler),
    ],
  ],
};

export function setProperty(modeler, element, name, value) {
  modeler.get('commandStack').execute(SET_PROPERTY, { element, name, value });
}

// Lanes ////////////////////////////////////////////////////////////////////////////////////

/** Returns the participant (pool) shape an element belongs to, or null. */
export function participantOf(element) {
  let current = element;
  while (current && !is(current, 'bpmn:Participant')) {
    current = current.parent;
  }
  return current || null;
}

/** Returns the lanes a task can be placed in: the leaf lanes of its pool, top to bottom. */
export function lanesFor(modeler, element) {
  const pool = participantOf(element);
  if (!pool) return [];
  const lanes = modeler
    .get('elementRegistry')
    .filter((shape) => is(shape, 'bpmn:Lane') && participantOf(shape) === pool)
    .filter((shape) => !(shape.businessObject.childLaneSet?.lanes?.length));
  const horizontal = isHorizontal(pool);
  return lanes.sort((a, b) => (horizontal ? a.y - b.y : a.x - b.x));
}

/** Returns the lane shape whose flowNodeRef lists the element, or null. */
export function laneOf(modeler, element) {
  const lanes = getBusinessObject(element).get('lanes') || [];
  const leaf = lanes.find((lane) => !(lane.childLaneSet?.lanes?.length)) || lanes[0];
  return leaf ? modeler.get('elementRegistry').get(leaf.id) || null : null;
}

function isHorizontal(pool) {
  const di = pool.di;
  if (di && typeof di.isHorizontal === 'boolean') return di.isHorizontal;
  return pool.width >= pool.height;
}

/**
 * Moves a task's shape into a lane of its pool (one command; bpmn-js updates the lanes'
 * flowNodeRef lists, which is what the platform reads as the task's role).
 */
export function moveToLane(modeler, element, lane) {
  const pool = participantOf(element);
  if (!pool || participantOf(lane) !== pool) return;
  const horizontal = isHorizontal(pool);
  const delta = horizontal
    ? { x: 0, y: Math.round(lane.y + lane.height / 2 - (element.y + element.height / 2)) }
    : { x: Math.round(lane.x + lane.width / 2 - (element.x + element.width / 2)), y: 0 };
  if (!delta.x && !delta.y) return;
  modeler.get('modeling').moveElements([element], delta, element.parent);
}
