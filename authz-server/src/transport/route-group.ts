// Extra routes on the HTTP listener written without the HTTP framework (the live page, dashboard/):
// a group of handlers from plain request to plain reply, with an optional guard run before each of
// them. Mounted here, so fastify stays inside transport/. A group is encapsulated: its guard covers
// its own routes only, never the checks or the operations endpoints.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export interface RouteRequest {
  method: string;
  /** Lower-case name → value; repeated headers joined with ",". */
  header(name: string): string | undefined;
  /** The listener's own port, as the connection reached it. */
  localPort: number;
  /** Path parameters (`:name` in the route's path). */
  params: Readonly<Record<string, string>>;
  /** The raw body bytes, as every body on this listener. */
  body: Buffer | undefined;
}

export interface RouteReply {
  status: number;
  /** Content type; an object body without one is sent as JSON. */
  type?: string;
  headers?: Readonly<Record<string, string>>;
  body: string | object;
}

export interface Route {
  method: "GET" | "POST";
  path: string;
  handle(request: RouteRequest): Promise<RouteReply>;
}

export interface RouteGroup {
  /** A reply refuses the request before its route runs; undefined lets it through. */
  guard?(request: RouteRequest): RouteReply | undefined;
  routes: readonly Route[];
}

function routeRequest(req: FastifyRequest): RouteRequest {
  return {
    method: req.method,
    header(name) {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(",") : value;
    },
    localPort: req.socket.localPort ?? 0,
    params: (req.params ?? {}) as Record<string, string>,
    body: Buffer.isBuffer(req.body) ? req.body : undefined,
  };
}

function send(reply: FastifyReply, answer: RouteReply): FastifyReply {
  reply.code(answer.status);
  if (answer.headers) reply.headers(answer.headers);
  if (answer.type) reply.type(answer.type);
  return reply.send(answer.body);
}

/** Registers `group` as an encapsulated fastify plugin on `app`. */
export function mountRouteGroup(app: FastifyInstance, group: RouteGroup): void {
  void app.register(async (scope) => {
    const guard = group.guard;
    if (guard)
      scope.addHook("onRequest", async (req, reply) => {
        const refusal = guard(routeRequest(req));
        if (refusal) return send(reply, refusal);
      });
    for (const route of group.routes) {
      const handler = async (req: FastifyRequest, reply: FastifyReply) =>
        send(reply, await route.handle(routeRequest(req)));
      if (route.method === "GET") scope.get(route.path, handler);
      else scope.post(route.path, handler);
    }
  });
}
