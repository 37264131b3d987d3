import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { bearerToken } from "@acme/kit/auth";
import { traceparentKey } from "@acme/kit/server";
import { clientAddressKey } from "@acme/kit/server";
import type { AuthUseCases } from "./app/use-cases.js";

/** Routes: proto <-> use case, nothing else. What they throw, the server maps (rpc/errors.ts). */
export function authRoutes(useCases: AuthUseCases) {
  const traceparent = (ctx: HandlerContext) => ctx.values.get(traceparentKey) || undefined;
  const signedInUser = async (ctx: HandlerContext) => (await useCases.verifyToken(bearerToken(ctx.requestHeader))).userId;

  return (router: ConnectRouter) => {
    router.service(AuthService, {
      async register(req, ctx) {
        const client = ctx.values.get(clientAddressKey);
        const { userId } = await useCases.register({ email: req.email, password: req.password, client, traceparent: traceparent(ctx) });
        return { userId };
      },
      async login(req, ctx) {
        const client = ctx.values.get(clientAddressKey);
        const issued = await useCases.login({ email: req.email, password: req.password, client });
        return { accessToken: issued.token, expiresAt: timestampFromDate(issued.expiresAt), userId: issued.userId };
      },
      async changeEmail(req, ctx) {
        const userId = await signedInUser(ctx);
        return useCases.changeEmail({ userId, newEmail: req.newEmail, currentPassword: req.currentPassword, traceparent: traceparent(ctx) });
      },
      async deleteAccount(req, ctx) {
        const userId = await signedInUser(ctx);
        await useCases.deleteAccount({ userId, currentPassword: req.currentPassword, traceparent: traceparent(ctx) });
        return {};
      },
    });
  };
}
