import { profileEventRoutes } from "@acme/profile/events/subscription";
import { profileContract } from "../profile-contract.js";
import { consumerPactSuite } from "./consumer-pact-suite.js";

consumerPactSuite(profileContract, profileEventRoutes);
