-- The offsets of durable consumers of a log that keeps none itself (RabbitMQ stream queues over AMQP 0-9-1):
-- the offset of the next message each consumer name reads from each stream queue.

CREATE TABLE stream_queue_offsets (
    queue       VARCHAR(255) NOT NULL,
    consumer    VARCHAR(255) NOT NULL,
    next_offset BIGINT       NOT NULL,
    PRIMARY KEY (queue, consumer)
);
