import { Injectable, Optional, PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { AppException } from '../errors/app-exception';
import { canonicalUuid } from './uuid';

/**
 * Path ids must be UUIDs; anything else is a 400 in the contract's validation shape, never a database error.
 * They come out lower-cased (canonicalUuid), whatever case the client wrote them in.
 */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string> {
  // @Optional: when Nest instantiates the pipe itself (`@Param('id', UuidParamPipe)`) there is nothing to inject.
  constructor(@Optional() private readonly field = 'id') {}

  transform(value: string): string {
    if (!isUUID(value))
      throw AppException.validation([{ field: this.field, message: `${this.field} must be a UUID` }]);
    return canonicalUuid(value) as string;
  }
}
