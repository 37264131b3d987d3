// The service templates: a service's main wires its own parts into one of these.
export { startConsumerService, type ConsumerServiceConfig, type ConsumerServiceHooks, type RunningConsumerService } from "../consumer-service.js";
export { consumerServiceConfig } from "../consumer-service-env.js";
export { startProducerService, type ProducerParts, type ProducerServiceConfig, type RunningProducerService } from "../producer-service.js";
export { runService } from "../run-service.js";
