import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { bearerToken } from "@acme/kit/auth";
import type { Logger } from "@acme/kit/logging";
import { traceparentKey, clientAddressKey } from "@acme/kit/server";
import type { AuthUseCases } from "./app/use-cases.js";
import { toConnectError } from "./rpc/errors.js";

/** Routes: proto <-> use case, nothing else. */
export function authRoutes(useCases: AuthUseCases, logger: Logger) {
  const traceparent = (ctx: HandlerContext) => ctx.values.get(traceparentKey) || undefined;
  const signedInUser = async (ctx: HandlerContext) => (await useCases.verifyToken(bearerToken(ctx.requestHeader))).userId;
  const guarded = <T>(work: () => Promise<T>): Promise<T> =>
    work().catch((error: unknown) => {
      throw toConnectError(error, logger);
    });

  return (router: ConnectRouter) => {
    router.service(AuthService, {
      register: (req, ctx) =>
        guarded(async () => {
          const client = ctx.values.get(clientAddressKey);
          const { userId } = await useCases.register({ email: req.email, password: req.password, client, traceparent: traceparent(ctx) });
          return { userId };
        }),
      login: (req, ctx) =>
        guarded(async () => {
          const client = ctx.values.get(clientAddressKey);
          const issued = await useCases.login({ email: req.email, password: req.password, client });
          return { accessToken: issued.token, expiresAt: timestampFromDate(issued.expiresAt), userId: issued.userId };
        }),
      changeEmail: (req, ctx) =>
        guarded(async () => {
          const userId = await signedInUser(ctx);
          return useCases.changeEmail({ userId, newEmail: req.newEmail, currentPassword: req.currentPassword, traceparent: traceparent(ctx) });
        }),
      deleteAccount: (req, ctx) =>
        guarded(async () => {
          const userId = await signedInUser(ctx);
          await useCases.deleteAccount({ userId, currentPassword: req.currentPassword, traceparent: traceparent(ctx) });
          return {};
        }),
    });
  };
}
