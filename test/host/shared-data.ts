// Envoy's process-wide shared data and shared queues (cpp-host src/shared_data.cc,
// src/shared_queue.cc), shared by every emulated worker VM of a plugin.
// Shared data: namespaced by vm_id; CAS values come from ONE global counter starting at 1 (0 is
// skipped); set fails with CasMismatch only when the key exists, cas != 0 and cas != current; a
// missing key ignores the cas (no create-if-absent).
// Queues: keyed by (vm_id, name); registering again RE-BINDS the queue to the new registrant (items
// kept); enqueue notifies only the current registrant, asynchronously (after the current callback).

export enum Status {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  InternalFailure = 10,
  BrokenConnection = 11,
  Unimplemented = 12,
}

export class SharedData {
  private readonly namespaces = new Map<string, Map<string, { value: Uint8Array; cas: number }>>();
  private nextCas = 1;

  private space(vmId: string) {
    let space = this.namespaces.get(vmId);
    if (!space) {
      space = new Map();
      this.namespaces.set(vmId, space);
    }
    return space;
  }

  private takeCas(): number {
    const cas = this.nextCas;
    this.nextCas = this.nextCas >= 0xffffffff ? 1 : this.nextCas + 1;
    return cas;
  }

  get(vmId: string, key: string): { value: Uint8Array; cas: number } | undefined {
    return this.namespaces.get(vmId)?.get(key);
  }

  set(vmId: string, key: string, value: Uint8Array, cas: number): Status {
    const space = this.space(vmId);
    const current = space.get(key);
    if (current && cas !== 0 && cas !== current.cas) return Status.CasMismatch;
    space.set(key, { value: value.slice(), cas: this.takeCas() });
    return Status.Ok;
  }

  keys(vmId: string): string[] {
    return [...(this.namespaces.get(vmId)?.keys() ?? [])];
  }
}

/** Who gets proxy_on_queue_ready: a VM (worker) and its root context. */
export interface QueueOwner {
  notifyQueueReady(rootContextId: number, queueId: number): void;
}

interface Queue {
  vmId: string;
  name: string;
  items: Uint8Array[];
  owner: QueueOwner;
  rootContextId: number;
}

export class SharedQueues {
  private readonly byId = new Map<number, Queue>();
  private readonly byName = new Map<string, number>();
  private nextId = 1;

  register(vmId: string, name: string, owner: QueueOwner, rootContextId: number): number {
    const key = `${vmId}\0${name}`;
    const existing = this.byName.get(key);
    if (existing !== undefined) {
      const queue = this.byId.get(existing) as Queue;
      queue.owner = owner;
      queue.rootContextId = rootContextId;
      return existing;
    }
    const id = this.nextId++;
    this.byName.set(key, id);
    this.byId.set(id, { vmId, name, items: [], owner, rootContextId });
    return id;
  }

  resolve(vmId: string, name: string): number | undefined {
    return this.byName.get(`${vmId}\0${name}`);
  }

  enqueue(id: number, value: Uint8Array): Status {
    const queue = this.byId.get(id);
    if (!queue) return Status.NotFound;
    queue.items.push(value.slice());
    queue.owner.notifyQueueReady(queue.rootContextId, id);
    return Status.Ok;
  }

  dequeue(id: number): Uint8Array | Status.NotFound | Status.Empty {
    const queue = this.byId.get(id);
    if (!queue) return Status.NotFound;
    return queue.items.shift() ?? Status.Empty;
  }

  size(id: number): number {
    return this.byId.get(id)?.items.length ?? 0;
  }
}
