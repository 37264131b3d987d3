import { billingEventRoutes } from "@acme/billing/events/subscription";
import { billingContract } from "../billing-contract.js";
import { consumerPactSuite } from "./consumer-pact-suite.js";

consumerPactSuite(billingContract, billingEventRoutes);
