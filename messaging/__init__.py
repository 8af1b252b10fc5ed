"""The one Kafka room: every topic and consumer-group name, every client config, every
patch of faust/aiokafka internals.

- ``messaging.names``: topic names and specs, consumer groups and faust app ids, all
  derived from ``settings.topic_prefix``.
- ``messaging.clients``: the confluent-kafka Producer, Consumer and AdminClient configs.
- ``messaging.faust_patches``: the monkey-patches of faust-streaming and aiokafka, behind
  a guard on their installed versions.

The package is named ``messaging`` and not ``kafka``: a top-level ``kafka`` package would
shadow kafka-python (whose import name is ``kafka``) for anyone who installs both.
"""
