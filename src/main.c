#include <stdio.h>
#include "util/config.h"
int main(void){ struct config c; config_defaults(&c); printf("%s\n", c.listen[0].text); return 0; }
