import type { MeDto, PublicUserDto } from './users.dto';
import type { User } from './user.entity';

export function toMeDto(user: User): MeDto {
  return {
    id: user.id,
    username: user.username,
    email: user.email ?? '',
    displayName: user.displayName,
    avatarMediaId: user.avatarMediaId,
    role: user.role,
    settings: user.settings,
    createdAt: user.createdAt.toISOString(),
    lastSeenAt: user.lastSeenAt?.toISOString() ?? null,
  };
}

export function toPublicUserDto(user: User, online: boolean): PublicUserDto {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    avatarMediaId: user.avatarMediaId,
    presence: online ? 'online' : 'offline',
    lastSeenAt: user.lastSeenAt?.toISOString() ?? null,
  };
}
