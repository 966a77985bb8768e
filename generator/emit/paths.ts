/** Where each artifact lives in the output tree (DESIGN §2). One place, so emitters agree on imports. */
import type { ConsumerGroup, EventType, NamedSchema, Topic } from '../model/types.js';

export const RUNTIME = 'runtime/index.ts';
export const EVENTS = 'events.ts';
export const TOPICS = 'topics.ts';

export const eventSchemaFile = (e: EventType): string => `schemas/${e.names.fileName}.ts`;
export const sharedSchemaFile = (s: NamedSchema): string => `schemas/shared/${s.fileName}.ts`;
export const producerFile = (t: Topic): string => `producers/${t.names.fileName}.producer.ts`;
export const groupDir = (g: ConsumerGroup): string => `consumers/${g.names.fileName}`;
export const groupIndexFile = (g: ConsumerGroup): string => `${groupDir(g)}/index.ts`;
export const groupHandlersFile = (g: ConsumerGroup): string => `${groupDir(g)}/handlers.ts`;
export const topicHandlerFile = (g: ConsumerGroup, t: Topic): string =>
  `${groupDir(g)}/topics/${t.names.fileName}/${t.names.fileName}.topic-handler.ts`;
export const stubFile = (g: ConsumerGroup, t: Topic, e: EventType): string =>
  `${groupDir(g)}/topics/${t.names.fileName}/events/${e.names.fileName}.event-handler.ts`;
