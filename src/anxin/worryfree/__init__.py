"""无忧服务, the worry-free programme: enrolment, warehouse lots and stock (现货保障), inbound inspection, the
worry-free tag, lucky bags (无忧福袋) and the creators' selection pool."""
