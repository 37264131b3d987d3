import type { K8sObject } from "./render.js";

/** Every check returns human-readable problems; an empty list means it holds. */
export type Check = (objects: K8sObject[]) => string[];

export { ownershipProblems } from "./ownership.js";
export { ADMIN_PORTS, podSecurityProblems, SERVICE_PORTS, serviceDeploymentProblems } from "./pods.js";
export { crossReferenceProblems } from "./references.js";
