// zlib (Debian zlib1g-dev): RocketMQ compresses message bodies over 4 KiB with zlib streams.
#include <zlib.h>
