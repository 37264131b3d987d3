// kit's server, as other packages see it: startServiceServer is reached through the service templates (@acme/kit/service).
export { adminEnv } from "./admin-token.js";
export { trustProxyHopsSchema } from "./client-address.js";
export { traceparentKey } from "./rpc-observer.js";
export { clientAddressKey } from "./service-server.js";
export type { DomainErrorMapping } from "./error-mapping.js";
