export const NOTIFICATIONS_QUEUE = 'notifications';
