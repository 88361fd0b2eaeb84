// TaskService, the Tasks collection, each Task and its monitor. A task is a view of the media
// import it tracks (the VM snapshot's media slot, itself derived from the DataVolume), so any
// replica answers for any task and a restart loses nothing (ARCHITECTURE.md "State lives in
// Kubernetes"). A task Id is `<systemId>.<key>`: the system part sends the lookup through the
// caller's scope (a task of a VM outside it is 404) and the key names the one insertion.
import type { VisibleSystem } from '../../auth/types.ts';
import type { Health } from '../../backend/port.ts';
import {
  RedfishError,
  extendedInfo,
  isRedfishError,
  resetRequired,
  resourceNotFound,
  undeterminedFault,
} from '../messages.ts';
import { link, odataTypes, redfishDateTime, toCollection, uris } from '../odata.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type HandlerReply,
  type RedfishBody,
} from '../handler.ts';
import { visibleSystem, visibleSystems } from '../visibility.ts';

/** A finished task stays visible this long (TaskService.TaskAutoDeleteTimeoutMinutes), decided
 *  from its end time in the cluster, so every replica hides it at the same moment. */
export const taskRetentionMinutes = 24 * 60;

/** Seconds a client polling a monitor should wait (imports take minutes, not milliseconds). */
const monitorRetryAfterSeconds = 5;

/** The TaskState values this service reports (Task.v1_7_4 TaskState). */
export type TaskState = 'New' | 'Running' | 'Completed' | 'Exception';

/** What a task shows, independent of where it was learned (the snapshot or a fresh insert). */
export interface TaskView {
  readonly id: string;
  readonly vmName: string;
  /** The InsertMedia target the task runs for. */
  readonly targetUri: string;
  /** The system's Reset action, named when the media needs a restart to reach the guest. */
  readonly resetUri: string;
  readonly state: TaskState;
  readonly status: Health;
  readonly percentComplete?: number;
  readonly startTime?: string;
  readonly endTime?: string;
  readonly pendingRestart: boolean;
  readonly failure?: string;
}

/** TaskEvent registry messages a media task reports (TaskEvent.1.0.5; task-messages test checks
 *  the texts against the DMTF registry file). */
const taskEvents = {
  TaskStarted: { message: "The task with Id '%1' has started.", severity: 'OK' },
  TaskCompletedOK: { message: "The task with Id '%1' has completed.", severity: 'OK' },
  TaskCompletedWarning: {
    message: "The task with Id '%1' has completed with warnings.",
    severity: 'Warning',
  },
  TaskAborted: {
    message: "The task with Id '%1' has completed with errors.",
    severity: 'Critical',
  },
} as const;
export const taskEventRegistry = {
  prefix: 'TaskEvent.1.0',
  file: 'TaskEvent.1.0.5.json',
  taskEvents,
};

const taskEvent = (key: keyof typeof taskEvents, taskId: string): RedfishBody => ({
  '@odata.type': odataTypes.Message,
  MessageId: `${taskEventRegistry.prefix}.${key}`,
  Message: taskEvents[key].message.replace('%1', taskId),
  MessageArgs: [taskId],
  Severity: taskEvents[key].severity,
  MessageSeverity: taskEvents[key].severity,
  Resolution: 'None.',
});

export const taskIdOf = (systemId: string, key: string): string => `${systemId}.${key}`;

/** A task Id split at its last dot: system Ids may contain dots, keys (hex) never do. */
const splitTaskId = (id: string): { systemId: string; key: string } | undefined => {
  const at = id.lastIndexOf('.');
  return at <= 0 || at === id.length - 1
    ? undefined
    : { systemId: id.slice(0, at), key: id.slice(at + 1) };
};

/** The task of a system's current insertion; undefined when there is none or it finished more
 *  than the retention time ago. */
export const mediaTaskOf = (system: VisibleSystem, nowMs: number): TaskView | undefined => {
  const media = system.snapshot.media;
  if (media.taskId === undefined || media.state === 'Empty') return undefined;
  const finished = media.state === 'Ready' || media.state === 'Failed';
  if (
    finished &&
    media.finishedAt !== undefined &&
    nowMs - Date.parse(media.finishedAt) > taskRetentionMinutes * 60_000
  )
    return undefined;
  const base = {
    id: taskIdOf(system.id, media.taskId),
    vmName: system.ref.name,
    targetUri: uris.virtualMediaAction('system', system.id, 'VirtualMedia.InsertMedia'),
    resetUri: uris.systemReset(system.id),
    pendingRestart: media.pendingRestart,
    ...(media.insertedAt === undefined ? {} : { startTime: media.insertedAt }),
    ...(finished && media.finishedAt !== undefined ? { endTime: media.finishedAt } : {}),
  };
  switch (media.state) {
    case 'Importing':
      return {
        ...base,
        state: 'Running',
        status: 'OK',
        percentComplete: media.percentComplete ?? 0,
      };
    case 'Ready':
      return {
        ...base,
        state: 'Completed',
        status: media.pendingRestart ? 'Warning' : 'OK',
        percentComplete: 100,
      };
    case 'Failed':
      return {
        ...base,
        state: 'Exception',
        status: 'Critical',
        failure: media.message ?? 'the image import failed',
      };
  }
};

/** The task of an insertion that has just been accepted (before any cache shows it). */
export const acceptedTask = (
  system: VisibleSystem,
  key: string,
  appliesOnNextStart: boolean,
  startTime: string,
): TaskView => ({
  id: taskIdOf(system.id, key),
  vmName: system.ref.name,
  targetUri: uris.virtualMediaAction('system', system.id, 'VirtualMedia.InsertMedia'),
  resetUri: uris.systemReset(system.id),
  state: 'New',
  status: 'OK',
  percentComplete: 0,
  startTime,
  pendingRestart: appliesOnNextStart,
});

const messagesOf = (task: TaskView): RedfishBody[] => {
  // Media a running VM without hotplug only sees after a restart (BEHAVIOUR.md "Virtual media").
  const restart = task.pendingRestart
    ? [extendedInfo(resetRequired(task.resetUri, 'ForceRestart'))]
    : [];
  switch (task.state) {
    case 'New':
    case 'Running':
      return [taskEvent('TaskStarted', task.id), ...restart];
    case 'Completed':
      return task.pendingRestart
        ? [taskEvent('TaskCompletedWarning', task.id), ...restart]
        : [taskEvent('TaskCompletedOK', task.id)];
    case 'Exception':
      return [
        taskEvent('TaskAborted', task.id),
        extendedInfo(undeterminedFault(`image import: ${task.failure ?? 'unknown error'}`)),
      ];
  }
};

export const toTask = (task: TaskView): RedfishBody => ({
  '@odata.id': uris.task(task.id),
  '@odata.type': odataTypes.Task,
  Id: task.id,
  Name: `Insert virtual media into ${task.vmName}`,
  TaskState: task.state,
  TaskStatus: task.status,
  ...(task.percentComplete === undefined
    ? {}
    : { PercentComplete: Math.floor(task.percentComplete) }),
  ...(task.startTime === undefined ? {} : { StartTime: task.startTime }),
  ...(task.endTime === undefined ? {} : { EndTime: task.endTime }),
  TaskMonitor: uris.taskMonitor(task.id),
  // The request body is not kept (it may hold credentials); where and how it went is.
  Payload: { TargetUri: task.targetUri, HttpOperation: 'POST' },
  Messages: messagesOf(task),
});

/** The 202 answer to an asynchronous request (DSP0266 "Asynchronous operations"): the Task,
 *  with Location pointing at its monitor. */
export const taskAccepted = (task: TaskView): HandlerReply => ({
  status: 202,
  headers: {
    Location: uris.taskMonitor(task.id),
    'Retry-After': String(monitorRetryAfterSeconds),
  },
  body: toTask(task),
});

export const toTaskService = (nowMs: number): RedfishBody => ({
  '@odata.id': uris.taskService,
  '@odata.type': odataTypes.TaskService,
  Id: 'TaskService',
  Name: 'Task Service',
  ServiceEnabled: true,
  DateTime: redfishDateTime(nowMs),
  LifeCycleEventOnTaskStateChange: false,
  TaskAutoDeleteTimeoutMinutes: taskRetentionMinutes,
  Status: { State: 'Enabled', Health: 'OK' },
  Tasks: link(uris.tasks),
});

export const toTaskCollection = (tasks: readonly TaskView[]): RedfishBody =>
  toCollection(
    uris.tasks,
    odataTypes.TaskCollection,
    'Task Collection',
    tasks.map((t) => uris.task(t.id)),
  );

/** The visible task with this Id, or 404 exactly as for one that never existed. */
const findTask = (ctx: AuthenticatedContext, id: string): TaskView => {
  const notFound = () => new RedfishError(resourceNotFound('Task', id));
  const parts = splitTaskId(id);
  if (parts === undefined) throw notFound();
  let system: VisibleSystem;
  try {
    system = visibleSystem(ctx, parts.systemId, 'Task');
  } catch (error) {
    throw isRedfishError(error) && error.status === 404 ? notFound() : error;
  }
  const task = mediaTaskOf(system, ctx.deps.clock.now());
  if (task?.id !== id) throw notFound();
  return task;
};

export const handleTaskServiceGet = (ctx: AuthenticatedContext): HandlerReply => ({
  status: 200,
  body: toTaskService(ctx.deps.clock.now()),
});

export const handleTaskCollectionGet = (ctx: AuthenticatedContext): HandlerReply => {
  const now = ctx.deps.clock.now();
  const tasks = visibleSystems(ctx).flatMap((s) => mediaTaskOf(s, now) ?? []);
  return { status: 200, body: toTaskCollection(tasks) };
};

export const handleTaskGet = (ctx: AuthenticatedContext): HandlerReply => ({
  status: 200,
  body: toTask(findTask(ctx, pathParam(ctx, 'taskId'))),
});

/** DSP0266 task monitor: 202 (with Location and Retry-After) while the task runs, then the
 *  finished Task. */
export const handleTaskMonitorGet = (ctx: AuthenticatedContext): HandlerReply => {
  const task = findTask(ctx, pathParam(ctx, 'taskId'));
  return task.state === 'New' || task.state === 'Running'
    ? taskAccepted(task)
    : { status: 200, body: toTask(task) };
};
