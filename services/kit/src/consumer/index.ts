// The event consumer runner and what a service's handlers and dlq command need of it.
export { consumerSettings, type ConsumerSettings } from "./consumer-settings.js";
export { DLQ } from "./dead-letter.js";
export { runDeadLetterCommand } from "./dead-letter-command.js";
export { createEventDecoder } from "./event-decoder.js";
export { startEventConsumer, type EventConsumer } from "./event-consumer.js";
export { PermanentEventError, type EventMeta, type EventRoute } from "./event-route.js";
