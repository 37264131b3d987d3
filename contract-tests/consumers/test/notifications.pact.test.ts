import { notificationEventRoutes } from "@acme/notifications/events/notification-events";
import { notificationsContract } from "../notifications-contract.js";
import { consumerPactSuite } from "./consumer-pact-suite.js";

consumerPactSuite(notificationsContract, () => notificationEventRoutes({ messageIdDomain: "notifications.acme.example" }));
